package io.failback.agent.grpc;

import com.google.protobuf.ByteString;
import io.failback.certs.KeyRequest;
import io.failback.certs.Pem;
import io.failback.proto.v1.EnrollRequest;
import io.failback.proto.v1.EnrollResponse;
import io.failback.proto.v1.EnrollmentServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An agent's first certificate: a key made here, a CSR sent with the operator's one-time token
 * over TLS that verifies the controller against the CA file given, and the answer written
 * beside the key. The key never leaves the host.
 */
public final class Enroller {
  /** The files an enrollment writes in its output folder. */
  public record Files3(Path certificate, Path privateKey, Path caBundle) {}

  private Enroller() {}

  /** Enrolls; refuses to replace a key already in {@code outDir}. */
  public static EnrollResponse enroll(String controller, String token, Path caFile,
      Path outDir) throws IOException {
    Files3 files = files(outDir);
    if (Files.exists(files.privateKey())) {
      throw new IOException(files.privateKey() + " exists: this host holds a key already;"
          + " remove it first to enroll again");
    }
    Files.createDirectories(outDir);
    KeyRequest request = KeyRequest.generate("failback-agent");
    // Given several controllers, a takeover under way is waited for (the call's deadline).
    ManagedChannel channel = io.failback.common.grpc.ControllerTargets.oneShotChannelBuilder(
        controller, TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build())
        .build();
    try {
      EnrollResponse response = EnrollmentServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .enroll(EnrollRequest.newBuilder().setToken(token)
              .setCsrDer(ByteString.copyFrom(request.csr().getEncoded())).build());
      // The trust bundle first, then the pair as a renewal writes it: a stop at any moment
      // leaves no key, or a key whose certificate the next start completes.
      Pem.writeText(files.caBundle(), response.getCaBundlePem());
      request.writeWithCertificate(files.privateKey(), files.certificate(),
          response.getCertificatePem());
      return response;
    } catch (StatusRuntimeException e) {
      throw new IOException("the controller refused the enrollment: " + e.getStatus()
          .getCode() + ": " + e.getStatus().getDescription(), e);
    } finally {
      channel.shutdownNow();
    }
  }

  public static Files3 files(Path outDir) {
    return new Files3(outDir.resolve("agent.pem"), outDir.resolve("agent.key"),
        outDir.resolve("ca.pem"));
  }
}
