package io.failback.controller;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link InProcessController} and a channel to it for a whole test class, in a folder of
 * its own: {@code @RegisterExtension static final InProcessControllerExtension inProcess = new
 * InProcessControllerExtension(pki -> pki.agent("hv-01"));}.
 */
final class InProcessControllerExtension implements BeforeAllCallback, AfterAllCallback {
  private final InProcessController.PeerChoice peer;
  private Path dir;
  private InProcessController controller;
  private ManagedChannel channel;

  /** @param peer who the callers are */
  InProcessControllerExtension(InProcessController.PeerChoice peer) {
    this.peer = peer;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("failback-in-process");
    controller = InProcessController.start(dir, peer);
    channel = controller.channel();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    channel.shutdownNow();
    controller.close();
    MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
  }

  InProcessController controller() {
    return controller;
  }

  ManagedChannel channel() {
    return channel;
  }
}
