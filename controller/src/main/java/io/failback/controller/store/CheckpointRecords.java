package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.failback.proto.v1.LaneCheckpoint;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable resume point of each lane of each block sync, by key: a job's transfers use the
 * job, VM, phase and disk (see the lifecycle's DurableLanes), so that it outlives the process.
 *
 * <p>A lane's watermark only moves forward: the target acknowledges a watermark after the
 * blocks below it are durable, and a stale acknowledgement arriving late (from a stream that
 * was already replaced) must not make a resume redo less than it should, nor skip anything.
 * Every method is one durable transaction; see {@link ControllerStore} for threading.
 */
public final class CheckpointRecords {

  private static final String UPSERT =
      """
      INSERT INTO sync_checkpoints (session_id, lane, watermark, chain) VALUES (?, ?, ?, ?)
      ON CONFLICT (session_id, lane) DO UPDATE SET
          watermark = excluded.watermark,
          chain = excluded.chain
      WHERE excluded.watermark >= sync_checkpoints.watermark
      """;

  private final ControllerStore store;

  CheckpointRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * Records a lane's checkpoint unless the stored one is further along.
   *
   * @return whether {@code checkpoint} is now the stored one
   */
  public boolean put(String sessionId, LaneCheckpoint checkpoint) throws StoreException {
    String id = checkId(sessionId);
    checkArgument(checkpoint.getWatermarkBlock() >= 0, "watermark beyond 2^63 blocks");
    return store.inTransaction(
        String.format("Recording the checkpoint of lane %d of sync session '%s'",
            checkpoint.getLane(), id),
        tx -> {
          try (PreparedStatement upsert = tx.prepareStatement(UPSERT)) {
            upsert.setString(1, id);
            upsert.setLong(2, Integer.toUnsignedLong(checkpoint.getLane()));
            upsert.setLong(3, checkpoint.getWatermarkBlock());
            upsert.setBytes(4, checkpoint.getChain().toByteArray());
            return upsert.executeUpdate() == 1;
          }
        });
  }

  /** Returns the session's checkpoints by lane; empty for a session never checkpointed. */
  public Map<Integer, LaneCheckpoint> get(String sessionId) throws StoreException {
    String id = checkId(sessionId);
    return store.inTransaction(
        String.format("Reading the checkpoints of sync session '%s'", id),
        tx -> {
          try (PreparedStatement select = tx.prepareStatement(
              "SELECT lane, watermark, chain FROM sync_checkpoints WHERE session_id = ?")) {
            select.setString(1, id);
            Map<Integer, LaneCheckpoint> lanes = new TreeMap<>();
            try (ResultSet rows = select.executeQuery()) {
              while (rows.next()) {
                int lane = (int) rows.getLong(1);
                lanes.put(lane, LaneCheckpoint.newBuilder()
                    .setLane(lane)
                    .setWatermarkBlock(rows.getLong(2))
                    .setChain(ByteString.copyFrom(rows.getBytes(3)))
                    .build());
              }
            }
            return Map.copyOf(lanes);
          }
        });
  }

  /**
   * Forgets the session's checkpoints, once it completed or must start over.
   *
   * @return how many lanes were forgotten
   */
  public int delete(String sessionId) throws StoreException {
    String id = checkId(sessionId);
    return store.inTransaction(
        String.format("Forgetting the checkpoints of sync session '%s'", id),
        tx -> {
          try (PreparedStatement delete =
              tx.prepareStatement("DELETE FROM sync_checkpoints WHERE session_id = ?")) {
            delete.setString(1, id);
            return delete.executeUpdate();
          }
        });
  }

  /**
   * Forgets every checkpoint whose key starts with {@code prefix} (a job's, once it ended).
   *
   * @return how many lanes were forgotten
   */
  public int deletePrefix(String prefix) throws StoreException {
    String start = checkId(prefix);
    return store.inTransaction(
        String.format("Forgetting the checkpoints under '%s'", start),
        tx -> {
          try (PreparedStatement delete = tx.prepareStatement(
              "DELETE FROM sync_checkpoints WHERE substr(session_id, 1, ?) = ?")) {
            delete.setInt(1, start.length());
            delete.setString(2, start);
            return delete.executeUpdate();
          }
        });
  }

  private static String checkId(String sessionId) {
    requireNonNull(sessionId, "sessionId");
    checkArgument(!sessionId.isBlank(), "session id is blank");
    return sessionId;
  }
}
