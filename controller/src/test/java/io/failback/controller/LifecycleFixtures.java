package io.failback.controller;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import java.nio.file.Path;

/** Gives tests in other packages a running {@link LifecycleFixture}. */
public final class LifecycleFixtures {
  private LifecycleFixtures() {}

  /** What such a test may use. */
  public interface Handle {
    String vmId();

    String target();

    TlsFiles operator() throws Exception;
  }

  public static Handle start(Path dir, GrpcCleanup cleanup) throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    return new Handle() {
      @Override
      public String vmId() {
        return fixture.vmId;
      }

      @Override
      public String target() {
        return fixture.controller.target();
      }

      @Override
      public TlsFiles operator() throws Exception {
        return fixture.controller.pki.operator("cli");
      }
    };
  }
}
