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

  /** Several VMs on one host, protected, failed over and committed: ready to fail back. */
  public interface FailedOver {
    java.util.Map<String, String> idsByName();

    String target();

    TlsFiles operator() throws Exception;

    /** Whether the named VM's on-prem disk holds its cloud disk's bytes. */
    boolean onPremEqualsCloud(String name) throws Exception;
  }

  public static FailedOver failedOver(Path dir, GrpcCleanup cleanup, String... names)
      throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, names);
    fixture.failedOver();
    return new FailedOver() {
      @Override
      public java.util.Map<String, String> idsByName() {
        return fixture.ids;
      }

      @Override
      public String target() {
        return fixture.controller.target();
      }

      @Override
      public TlsFiles operator() throws Exception {
        return fixture.controller.pki.operator("cli");
      }

      @Override
      public boolean onPremEqualsCloud(String name) throws Exception {
        return java.util.Arrays.equals(fixture.onPremBytes(name), fixture.cloudBytes(name));
      }
    };
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
