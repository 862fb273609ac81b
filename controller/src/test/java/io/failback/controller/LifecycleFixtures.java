package io.failback.controller;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import java.nio.file.Path;

/** Gives tests in other packages a running {@link LifecycleFixture}. */
public final class LifecycleFixtures {
  private LifecycleFixtures() {}

  /** How such a test reaches the controller: its address and an operator's TLS files. */
  public interface Operated {
    String target();

    TlsFiles operator() throws Exception;
  }

  /** What such a test may use. */
  public interface Handle extends Operated {
    String vmId();
  }

  /** Several VMs on one host, protected, failed over and committed: ready to fail back. */
  public interface FailedOver extends Operated {
    java.util.Map<String, String> idsByName();

    /** Whether the named VM's on-prem disk holds its cloud disk's bytes. */
    boolean onPremEqualsCloud(String name) throws Exception;
  }

  public static FailedOver failedOver(Path dir, GrpcCleanup cleanup, String... names)
      throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, names);
    fixture.failedOver();
    return new FailedOverVms(fixture);
  }

  public static Handle start(Path dir, GrpcCleanup cleanup) throws Exception {
    return new OneVm(new LifecycleFixture(dir, cleanup));
  }

  private abstract static class OperatedBy implements Operated {
    private final ControllerFixture controller;

    OperatedBy(ControllerFixture controller) {
      this.controller = controller;
    }

    @Override
    public String target() {
      return controller.target();
    }

    @Override
    public TlsFiles operator() throws Exception {
      return controller.pki.operator("cli");
    }
  }

  private static final class OneVm extends OperatedBy implements Handle {
    private final LifecycleFixture fixture;

    OneVm(LifecycleFixture fixture) {
      super(fixture.controller);
      this.fixture = fixture;
    }

    @Override
    public String vmId() {
      return fixture.vmId;
    }
  }

  private static final class FailedOverVms extends OperatedBy implements FailedOver {
    private final MultiVmFixture fixture;

    FailedOverVms(MultiVmFixture fixture) {
      super(fixture.controller);
      this.fixture = fixture;
    }

    @Override
    public java.util.Map<String, String> idsByName() {
      return fixture.ids;
    }

    @Override
    public boolean onPremEqualsCloud(String name) throws Exception {
      return java.util.Arrays.equals(fixture.onPremBytes(name), fixture.cloudBytes(name));
    }
  }
}
