package io.failback.agent.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.common.sync.FrameLink;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.BatchAck;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.ChecksumBatch;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncRole;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Where a stopping agent's lanes end: at the next batch boundary, never inside a batch. */
class DrainingLinkTest {
  private static final SyncFrame CHECKSUMS = SyncFrame.newBuilder()
      .setChecksums(ChecksumBatch.getDefaultInstance()).build();
  private static final SyncFrame BLOCK = SyncFrame.newBuilder()
      .setBlock(BlockPayload.getDefaultInstance()).build();
  private static final SyncFrame END = SyncFrame.newBuilder()
      .setBatchEnd(BatchEnd.getDefaultInstance()).build();
  private static final SyncFrame ACK = SyncFrame.newBuilder()
      .setAck(BatchAck.getDefaultInstance()).build();

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Scripted inner = new Scripted();

  @Test
  void targetFinishesTheBatchItIsReceivingThenStopsAndStillSendsAcks() throws Exception {
    DrainingLink link = new DrainingLink(inner, SyncRole.TARGET, stopping::get, () -> {});
    inner.incoming.addAll(List.of(BLOCK, BLOCK, END, BLOCK, END));
    assertEquals(BLOCK, link.receive());
    stopping.set(true);
    assertEquals(BLOCK, link.receive());
    assertEquals(END, link.receive());
    LinkException stop = assertThrows(LinkException.class, link::receive);
    assertEquals("agent stopping", stop.getMessage());
    link.send(ACK); // the flush step's acknowledgement of the batch just ended
    assertEquals(List.of(ACK), inner.sent);
    assertEquals(2, inner.incoming.size(), "the next batch was left for the resumed session");
  }

  @Test
  void idleTargetStopsAtOnce() {
    DrainingLink link = new DrainingLink(inner, SyncRole.TARGET, stopping::get, () -> {});
    stopping.set(true);
    assertThrows(LinkException.class, link::receive);
  }

  @Test
  void sourceSendsTheRestOfItsBatchThenRefusesToBeginAnother() throws Exception {
    DrainingLink link = new DrainingLink(inner, SyncRole.SOURCE, stopping::get, () -> {});
    link.send(CHECKSUMS);
    link.send(BLOCK);
    stopping.set(true);
    link.send(BLOCK);
    link.send(END);
    assertThrows(LinkException.class, () -> link.send(BLOCK));
    assertThrows(LinkException.class, () -> link.send(CHECKSUMS));
    assertEquals(List.of(CHECKSUMS, BLOCK, BLOCK, END), inner.sent);
  }

  @Test
  void nothingChangesWhileNotStopping() throws Exception {
    DrainingLink link = new DrainingLink(inner, SyncRole.TARGET, stopping::get, () -> {});
    inner.incoming.addAll(List.of(END, END));
    assertEquals(END, link.receive());
    assertEquals(END, link.receive());
  }

  /** A link that replays frames and records what was sent. */
  private static final class Scripted implements FrameLink {
    final Deque<SyncFrame> incoming = new ArrayDeque<>();
    final List<SyncFrame> sent = new ArrayList<>();

    @Override
    public void send(SyncFrame frame) {
      sent.add(frame);
    }

    @Override
    public SyncFrame receive() throws LinkException {
      if (incoming.isEmpty()) {
        throw new LinkException("script ended");
      }
      return incoming.removeFirst();
    }

    @Override
    public SyncFrame poll() {
      return incoming.pollFirst();
    }

    @Override
    public void fail(SyncException reason) {}

    @Override
    public void close() {}
  }
}
