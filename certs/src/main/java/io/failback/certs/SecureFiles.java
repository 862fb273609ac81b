package io.failback.certs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;

/** Writes files atomically; secret ones are readable by their owner only. */
final class SecureFiles {
  private SecureFiles() {}

  /**
   * Writes {@code content} to {@code file} through a temporary file and a rename.
   *
   * <p>Readers that reload certificate files never see a half-written file. A secret file gets mode
   * 0600 (or an owner-only ACL on Windows) before any byte is written to it.
   */
  static void write(Path file, byte[] content, boolean secret, boolean replace) throws IOException {
    Path target = file.toAbsolutePath();
    if (!replace) {
      refuseExisting(target);
    }
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = createTemp(dir, target.getFileName().toString(), secret);
    try {
      // On stable storage before the rename, so a power cut cannot leave an empty file behind.
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(content);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      move(temp, target, replace);
      syncDirectory(dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Renames {@code from} over {@code to} atomically where the file system can, durably. */
  static void rename(Path from, Path to) throws IOException {
    move(from, to, true);
    syncDirectory(to.toAbsolutePath().getParent());
  }

  /** Makes a rename in {@code dir} durable; file systems that cannot open a folder skip it. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Windows cannot open a directory as a file; NTFS journals the rename itself.
    }
  }

  /** Throws FileAlreadyExistsException if {@code file} exists, so nothing gets overwritten. */
  static void refuseExisting(Path file) throws IOException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(
          file.toString(), null, "already exists; refusing to overwrite it");
    }
  }

  private static Path createTemp(Path dir, String name, boolean secret) throws IOException {
    String prefix = "." + name + ".";
    if (isPosix(dir)) {
      String mode = secret ? "rw-------" : "rw-r--r--";
      Path temp =
          Files.createTempFile(
              dir,
              prefix,
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
      // The umask may have narrowed a public file's mode; certificates must stay readable.
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(mode));
      return temp;
    }
    Path temp = Files.createTempFile(dir, prefix, ".tmp");
    AclFileAttributeView acl = Files.getFileAttributeView(temp, AclFileAttributeView.class);
    if (secret && acl != null) {
      AclEntry ownerOnly =
          AclEntry.newBuilder()
              .setType(AclEntryType.ALLOW)
              .setPrincipal(Files.getOwner(temp))
              .setPermissions(EnumSet.allOf(AclEntryPermission.class))
              .build();
      acl.setAcl(List.of(ownerOnly));
    }
    return temp;
  }

  private static void move(Path temp, Path target, boolean replace) throws IOException {
    if (!replace) {
      Files.move(temp, target);
      return;
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static boolean isPosix(Path dir) {
    return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
