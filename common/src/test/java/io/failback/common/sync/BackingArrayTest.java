package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncFrame;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BackingArrayTest {
  @Test
  void aParsedBlocksDataIsReadWhereTheMessageHoldsIt() throws Exception {
    byte[] block = new byte[65536];
    Arrays.fill(block, (byte) 7);
    byte[] wire = SyncFrame.newBuilder().setBlock(BlockPayload.newBuilder().setBlockIndex(3)
        .setData(ByteString.copyFrom(block))).build().toByteArray();
    ByteString data = SyncFrame.parseFrom(wire).getBlock().getData();
    BackingArray backing = BackingArray.of(data);
    // The target's write path relies on this: were it null, every block would be copied.
    assertNotNull(backing);
    assertArrayEquals(block, Arrays.copyOfRange(backing.array(), backing.offset(),
        backing.offset() + data.size()));
  }

  @Test
  void aSliceGivesItsArrayAndWhereItStarts() {
    byte[] bytes = new byte[100];
    BackingArray backing = BackingArray.of(UnsafeByteOperations.unsafeWrap(bytes, 10, 50));
    assertSame(bytes, backing.array());
    assertEquals(10, backing.offset());
  }

  @Test
  void piecesAreNotOneArray() {
    ByteString rope = ByteString.copyFrom(new byte[300]).concat(ByteString.copyFrom(new byte[300]));
    assertNull(BackingArray.of(rope));
  }
}
