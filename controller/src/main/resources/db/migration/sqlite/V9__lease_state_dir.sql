-- the state folder of the lease's holder
-- Controllers that share a store must share their state folder too (the digest seeds' secret,
-- the seeds of reverse replication, the digest sets): state_id is the id kept in the holder's
-- folder, so that a standby whose folder is another one is refused; state_dir says where the
-- folder is (machine and path), for the message. Empty for a lease taken by an older
-- controller.
ALTER TABLE controller_lease ADD COLUMN state_id TEXT NOT NULL DEFAULT '';
ALTER TABLE controller_lease ADD COLUMN state_dir TEXT NOT NULL DEFAULT '';
