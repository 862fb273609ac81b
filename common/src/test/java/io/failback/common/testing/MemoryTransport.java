package io.failback.common.testing;

import io.failback.common.sync.FrameLink;
import io.failback.common.sync.LaneConnector;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncFrame;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;

/**
 * Connects a source and a target side in one process, with bounded queues each way and a
 * switch that cuts a lane's link after a given number of frames, as a dropped connection would.
 *
 * <p>Checkpoints go to a shared map, as if one side persisted them; a reopened lane starts from
 * the last one on both sides.
 */
public final class MemoryTransport {
  private final Map<Integer, LaneCheckpoint> checkpoints = new ConcurrentHashMap<>();
  private final Map<Integer, SynchronousQueue<Pair>> rendezvous = new ConcurrentHashMap<>();
  private final IntSupplier framesUntilCut;
  private volatile UnaryOperator<SyncFrame> tamper = UnaryOperator.identity();
  /** Frames sent over a reopened lane for blocks below the checkpoint it resumed from. */
  public final List<String> redone = new CopyOnWriteArrayList<>();
  /** Every frame that crossed, in both directions, for assertions on exact counts. */
  public final List<SyncFrame> delivered = new CopyOnWriteArrayList<>();
  public final AtomicInteger cuts = new AtomicInteger();
  /** The message of every failure a side told its peer, in order. */
  public final List<String> failuresTold = new CopyOnWriteArrayList<>();

  /**
   * Creates a transport.
   *
   * @param framesUntilCut asked once per opened lane: how many frames may cross before the link
   *     is cut; {@code Integer.MAX_VALUE} for never
   */
  public MemoryTransport(IntSupplier framesUntilCut) {
    this.framesUntilCut = framesUntilCut;
  }

  public static MemoryTransport reliable() {
    return new MemoryTransport(() -> Integer.MAX_VALUE);
  }

  /** How many frames of a kind crossed, in both directions. */
  public long count(java.util.function.Predicate<SyncFrame> kind) {
    return delivered.stream().filter(kind).count();
  }

  /** Changes frames in flight, as a faulty or hostile network would. */
  public void tamper(UnaryOperator<SyncFrame> change) {
    this.tamper = change;
  }

  public void durable(LaneCheckpoint checkpoint) {
    checkpoints.merge(checkpoint.getLane(), checkpoint,
        (old, now) -> now.getWatermarkBlock() >= old.getWatermarkBlock() ? now : old);
  }

  public Map<Integer, LaneCheckpoint> checkpoints() {
    return checkpoints;
  }

  /** The connector of the side that opens lanes (it creates the pair). */
  public LaneConnector opener() {
    return lane -> {
      Pair pair = new Pair(framesUntilCut.getAsInt());
      LaneCheckpoint start = start(lane);
      pair.start = start;
      queue(lane).put(pair);
      return new LaneConnector.OpenLane(pair.a, start);
    };
  }

  /** The connector of the side that accepts lanes. */
  public LaneConnector acceptor() {
    return lane -> {
      Pair pair = queue(lane).poll(30, TimeUnit.SECONDS);
      if (pair == null) {
        throw new LinkException("lane " + lane + " was never opened");
      }
      return new LaneConnector.OpenLane(pair.b, pair.start);
    };
  }

  private SynchronousQueue<Pair> queue(int lane) {
    return rendezvous.computeIfAbsent(lane, l -> new SynchronousQueue<>());
  }

  private LaneCheckpoint start(int lane) {
    return checkpoints.get(lane);
  }

  /** Two ends sharing a cut switch and a frame budget. */
  private final class Pair {
    final AtomicBoolean cut = new AtomicBoolean();
    final AtomicInteger budget;
    final BlockingQueue<Object> toB = new ArrayBlockingQueue<>(64);
    final BlockingQueue<Object> toA = new ArrayBlockingQueue<>(64);
    final End a = new End(toB, toA);
    final End b = new End(toA, toB);
    LaneCheckpoint start;

    Pair(int frames) {
      budget = new AtomicInteger(frames);
    }

    final class End implements FrameLink {
      private final BlockingQueue<Object> out;
      private final BlockingQueue<Object> in;

      End(BlockingQueue<Object> out, BlockingQueue<Object> in) {
        this.out = out;
        this.in = in;
      }

      @Override
      public void send(SyncFrame frame) throws SyncException, LinkException, InterruptedException {
        if (budget.decrementAndGet() < 0 && cut.compareAndSet(false, true)) {
          cuts.incrementAndGet();
        }
        checkNotRedone(frame);
        frame = tamper.apply(frame);
        while (!cut.get()) {
          if (out.offer(frame, 10, TimeUnit.MILLISECONDS)) {
            delivered.add(frame);
            return;
          }
        }
        throw new LinkException("link cut");
      }

      private void checkNotRedone(SyncFrame frame) {
        if (start == null) {
          return;
        }
        long block = switch (frame.getKindCase()) {
          case CHECKSUMS -> frame.getChecksums().getFirstBlock();
          case BLOCK -> frame.getBlock().getBlockIndex();
          case ZEROS -> frame.getZeros().getFirstBlock();
          default -> Long.MAX_VALUE;
        };
        if (block < start.getWatermarkBlock()) {
          redone.add(frame.getKindCase() + " at block " + block + " below watermark "
              + start.getWatermarkBlock());
        }
      }

      @Override
      public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
        while (true) {
          SyncFrame frame = poll();
          if (frame != null) {
            return frame;
          }
          Object next = in.poll(10, TimeUnit.MILLISECONDS);
          if (next != null) {
            return unwrap(next);
          }
        }
      }

      @Override
      public SyncFrame poll() throws SyncException, LinkException {
        if (cut.get()) {
          throw new LinkException("link cut");
        }
        Object next = in.poll();
        return next == null ? null : unwrap(next);
      }

      private SyncFrame unwrap(Object next) throws SyncException {
        if (next instanceof SyncException failure) {
          throw SyncException.fromPeer(failure.kind(), failure.getMessage());
        }
        return (SyncFrame) next;
      }

      @Override
      public void fail(SyncException reason) {
        failuresTold.add(reason.getMessage());
        out.offer(reason);
      }

      @Override
      public void close() {}
    }
  }
}
