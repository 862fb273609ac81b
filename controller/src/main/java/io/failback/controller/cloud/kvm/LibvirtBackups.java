package io.failback.controller.cloud.kvm;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Domain;

/**
 * The libvirt calls for checkpoints and pull-mode backups, which the Java binding (0.5.2) lacks,
 * called through JNA on the same libvirt.so the binding loaded.
 */
final class LibvirtBackups {
  /** The C functions (libvirt-domain-checkpoint.h, libvirt-domain.h), all since libvirt 6.0. */
  private interface Api extends Library {
    int virDomainBackupBegin(Pointer domain, String backupXml, String checkpointXml, int flags);

    Pointer virDomainCheckpointCreateXML(Pointer domain, String xml, int flags);

    Pointer virDomainCheckpointLookupByName(Pointer domain, String name, int flags);

    int virDomainCheckpointDelete(Pointer checkpoint, int flags);

    int virDomainCheckpointFree(Pointer checkpoint);

    int virDomainListAllCheckpoints(Pointer domain, PointerByReference checkpoints, int flags);

    String virDomainCheckpointGetName(Pointer checkpoint);

    Pointer virDomainCheckpointGetXMLDesc(Pointer checkpoint, int flags);

    String virGetLastErrorMessage();

    void virResetLastError();
  }

  private static final Api API = Native.load("virt", Api.class);
  private static final Field DOMAIN_POINTER = domainPointerField();

  private LibvirtBackups() {}

  /**
   * Starts a pull-mode backup job of a running domain, and with it, at the same instant, the
   * checkpoint {@code checkpointXml} when it is not null.
   */
  static void beginBackup(Domain domain, String backupXml, String checkpointXml)
      throws BackupException {
    if (API.virDomainBackupBegin(pointer(domain), backupXml, checkpointXml, 0) < 0) {
      throw failure("cannot begin a backup");
    }
  }

  /** Creates checkpoint {@code checkpointXml} of a running (or paused) domain. */
  static void createCheckpoint(Domain domain, String checkpointXml) throws BackupException {
    Pointer checkpoint = API.virDomainCheckpointCreateXML(pointer(domain), checkpointXml, 0);
    if (checkpoint == null) {
      throw failure("cannot create a checkpoint");
    }
    API.virDomainCheckpointFree(checkpoint);
  }

  // virDomainCheckpointDeleteFlags: forget the checkpoint, leave its bitmaps to the caller.
  private static final int DELETE_METADATA_ONLY = 1 << 1;

  /**
   * Deletes a checkpoint: with its bitmaps when the domain runs; only libvirt's record of it
   * when {@code metadataOnly} (libvirt 9.0 cannot delete the bitmaps of an inactive domain).
   * False when there is none of that name.
   */
  static boolean deleteCheckpoint(Domain domain, String name, boolean metadataOnly)
      throws BackupException {
    Pointer checkpoint = API.virDomainCheckpointLookupByName(pointer(domain), name, 0);
    if (checkpoint == null) {
      API.virResetLastError();
      return false;
    }
    try {
      if (API.virDomainCheckpointDelete(checkpoint, metadataOnly ? DELETE_METADATA_ONLY : 0)
          < 0) {
        throw failure("cannot delete checkpoint " + name);
      }
      return true;
    } finally {
      API.virDomainCheckpointFree(checkpoint);
    }
  }

  // virDomainCheckpointCreateFlags: replace libvirt's record of an existing checkpoint.
  private static final int CREATE_REDEFINE = 1;

  /**
   * Deletes the bitmaps {@code name} that a checkpoint of a running domain left on {@code
   * disks}: libvirt deletes a checkpoint's bitmaps by the disk targets it recorded, and a
   * device change since (virtio to SATA) renamed them, so it skipped them. The checkpoint is
   * recorded again with today's {@code targets}, then deleted with its bitmaps.
   *
   * @return whether any were left
   */
  static boolean deleteRenamedBitmaps(Domain domain, String name, List<String> targets,
      List<java.nio.file.Path> disks) throws BackupException, java.io.IOException {
    boolean left = false;
    for (java.nio.file.Path disk : disks) {
      left |= QemuImg.bitmaps(disk).contains(name);
    }
    if (!left) {
      return false;
    }
    String xml;
    try {
      // A record again needs its creation time and the domain it was made of.
      xml = BackupXml.checkpoint(name, targets).replace("<disks>", "<creationTime>"
          + java.time.Instant.now().getEpochSecond() + "</creationTime><disks>")
          .replace("</domaincheckpoint>", domain.getXMLDesc(0) + "</domaincheckpoint>");
    } catch (org.libvirt.LibvirtException e) {
      throw new BackupException("cannot describe the domain: " + e.getMessage());
    }
    Pointer checkpoint = API.virDomainCheckpointCreateXML(pointer(domain), xml, CREATE_REDEFINE);
    if (checkpoint == null) {
      throw failure("cannot record checkpoint " + name + " again");
    }
    API.virDomainCheckpointFree(checkpoint);
    deleteCheckpoint(domain, name, false);
    return true;
  }

  // virDomainCheckpointXMLFlags: each <disk> with the size of what changed since (its bitmap).
  private static final int XML_SIZE = 1 << 2;
  private static final int XML_NO_DOMAIN = 1 << 1;

  /** The checkpoint's XML with every disk's size of changes since it (the domain runs). */
  static String checkpointXml(Domain domain, String name) throws BackupException {
    Pointer checkpoint = API.virDomainCheckpointLookupByName(pointer(domain), name, 0);
    if (checkpoint == null) {
      throw failure("no checkpoint " + name);
    }
    try {
      Pointer xml = API.virDomainCheckpointGetXMLDesc(checkpoint, XML_SIZE | XML_NO_DOMAIN);
      if (xml == null) {
        throw failure("cannot describe checkpoint " + name);
      }
      try {
        return xml.getString(0, "UTF-8");
      } finally {
        Native.free(Pointer.nativeValue(xml));
      }
    } finally {
      API.virDomainCheckpointFree(checkpoint);
    }
  }

  static List<String> checkpointNames(Domain domain) throws BackupException {
    PointerByReference array = new PointerByReference();
    int count = API.virDomainListAllCheckpoints(pointer(domain), array, 0);
    if (count < 0) {
      throw failure("cannot list checkpoints");
    }
    List<String> names = new ArrayList<>();
    if (count == 0) {
      return names;
    }
    Pointer[] checkpoints = array.getValue().getPointerArray(0, count);
    for (Pointer checkpoint : checkpoints) {
      names.add(API.virDomainCheckpointGetName(checkpoint));
      API.virDomainCheckpointFree(checkpoint);
    }
    Native.free(Pointer.nativeValue(array.getValue()));
    return names;
  }

  private static Pointer pointer(Domain domain) {
    try {
      return ((PointerType) DOMAIN_POINTER.get(domain)).getPointer();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The binding keeps its virDomainPtr package-private; it is the one handle to pass on. */
  private static Field domainPointerField() {
    try {
      Field field = Domain.class.getDeclaredField("vdp");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("org.libvirt.Domain has no vdp field: another libvirt-java"
          + " version than 0.5.2?", e);
    }
  }

  private static BackupException failure(String what) {
    return new BackupException(what + ": " + API.virGetLastErrorMessage());
  }

  /** A failed checkpoint or backup call, with libvirt's message. */
  static final class BackupException extends Exception {
    BackupException(String message) {
      super(message);
    }
  }
}
