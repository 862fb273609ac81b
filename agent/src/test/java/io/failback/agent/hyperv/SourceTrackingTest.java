package io.failback.agent.hyperv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.agent.hyperv.ChangeTracking.ByteRange;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceTrackingTest {
  private static final int BLOCK = 64 * 1024;

  @Test
  void aBlockIsChangedWhenAnyRangeOverlapsIt() {
    BitSet blocks = SourceTracking.blocks(List.of(new ByteRange(0, 1),
        new ByteRange(2L * BLOCK - 512, 1024), new ByteRange(10L * BLOCK, 3L * BLOCK)), BLOCK);
    BitSet expected = new BitSet();
    expected.set(0);
    expected.set(1, 3);
    expected.set(10, 13);
    assertEquals(expected, blocks);
  }
}
