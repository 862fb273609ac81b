package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.proto.v1.LaneCheckpoint;
import java.util.Map;
import io.failback.controller.store.TestDatabases.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class StoreCheckpointRecordsTest extends StoreTestBase {

  private static LaneCheckpoint checkpoint(int lane, long watermark, String chain) {
    return LaneCheckpoint.newBuilder().setLane(lane).setWatermarkBlock(watermark)
        .setChain(ByteString.copyFromUtf8(chain)).build();
  }

  @Test
  void checkpointsSurviveReopenAndOnlyMoveForward() throws Exception {
    {
      CheckpointRecords records = store.checkpointRecords();
      assertTrue(records.put("s1", checkpoint(0, 100, "c100")));
      assertTrue(records.put("s1", checkpoint(1, 50, "c50")));
      assertTrue(records.put("s1", checkpoint(0, 200, "c200")));
      // A late acknowledgement from a replaced stream must not move the resume point back.
      assertFalse(records.put("s1", checkpoint(0, 150, "c150")));
      assertTrue(records.put("s2", checkpoint(0, 7, "other")));
    }
    reopen();
    {
      assertEquals(Map.of(0, checkpoint(0, 200, "c200"), 1, checkpoint(1, 50, "c50")),
          store.checkpointRecords().get("s1"));
      assertEquals(2, store.checkpointRecords().delete("s1"));
      assertEquals(Map.of(), store.checkpointRecords().get("s1"));
      assertEquals(1, store.checkpointRecords().get("s2").size());
    }
  }

  @Test
  void aJobsCheckpointsAreForgottenTogetherAndNoOtherJobs() throws Exception {
    CheckpointRecords records = store.checkpointRecords();
    records.put("job-7/vm-a/p2/d0", checkpoint(0, 256, "a"));
    records.put("job-7/vm-a/p2/d1", checkpoint(1, 1280, "b"));
    records.put("job-7/vm-b/full/d0", checkpoint(0, 512, "c"));
    records.put("job-70/vm-a/p2/d0", checkpoint(0, 256, "d"));
    records.put("job-7%/vm-a/p2/d0", checkpoint(0, 256, "e"));

    assertEquals(3, records.deletePrefix("job-7/"));
    assertEquals(Map.of(), records.get("job-7/vm-a/p2/d0"));
    assertEquals(1, records.get("job-70/vm-a/p2/d0").size());
    assertEquals(1, records.get("job-7%/vm-a/p2/d0").size(), "a prefix is no pattern");
  }
}
