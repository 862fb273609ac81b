-- caseless lookups by expression, as on PostgreSQL
-- Both stores look items and plans up by lower(key), so the same SQL serves
-- both; these indexes keep those lookups indexed on SQLite.
CREATE INDEX protected_items_caseless ON protected_items (lower(vm_id));
CREATE INDEX recovery_plans_caseless ON recovery_plans (lower(name));
