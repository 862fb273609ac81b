package io.failback.agent.hyperv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A read point that passes every call on; subclasses override the calls they change. */
public abstract class ForwardingReadPoint implements ReadPoint {
  private final ReadPoint inner;

  protected ForwardingReadPoint(ReadPoint inner) {
    this.inner = inner;
  }

  @Override
  public String id() {
    return inner.id();
  }

  @Override
  public Path disk(String diskPath) throws IOException {
    return inner.disk(diskPath);
  }

  @Override
  public Optional<List<ChangeTracking.ByteRange>> changedSince(String diskPath,
      String reference, long diskSize) throws IOException {
    return inner.changedSince(diskPath, reference, diskSize);
  }

  @Override
  public Map<String, String> keep(List<String> diskPaths) throws IOException {
    return inner.keep(diskPaths);
  }

  @Override
  public void discard() throws IOException {
    inner.discard();
  }
}
