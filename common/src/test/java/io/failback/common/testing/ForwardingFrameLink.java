package io.failback.common.testing;

import io.failback.common.sync.FrameLink;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.SyncFrame;

/** A link that passes everything through to another; tests override what they watch or break. */
public class ForwardingFrameLink implements FrameLink {
  private final FrameLink link;

  public ForwardingFrameLink(FrameLink link) {
    this.link = link;
  }

  @Override
  public void send(SyncFrame frame) throws SyncException, LinkException, InterruptedException {
    link.send(frame);
  }

  @Override
  public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
    return link.receive();
  }

  @Override
  public SyncFrame poll() throws SyncException, LinkException {
    return link.poll();
  }

  @Override
  public void fail(SyncException reason) {
    link.fail(reason);
  }

  @Override
  public void close() {
    link.close();
  }
}
