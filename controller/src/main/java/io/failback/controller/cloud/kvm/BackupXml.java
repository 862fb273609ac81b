package io.failback.controller.cloud.kvm;

import static io.failback.controller.cloud.kvm.DomainXml.escape;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The libvirt checkpoint and pull-mode backup XML of a KVM cloud snapshot. */
final class BackupXml {
  private BackupXml() {}

  /** The NBD export of disk {@code target} in a backup: the disk as it was at the backup. */
  static String exportName(String target) {
    return target;
  }

  /** The export of the writes since the backup's incremental checkpoint, as a dirty bitmap. */
  static String exportBitmap(String target) {
    return "changed-" + target;
  }

  /** A checkpoint with one persistent dirty bitmap, of the checkpoint's name, per disk. */
  static String checkpoint(String name, List<String> targets) {
    StringBuilder xml = new StringBuilder("<domaincheckpoint><name>").append(escape(name))
        .append("</name><disks>");
    for (String target : targets) {
      xml.append("<disk name='").append(target).append("' checkpoint='bitmap' bitmap='")
          .append(escape(name)).append("'/>");
    }
    return xml.append("</disks></domaincheckpoint>").toString();
  }

  /**
   * A pull-mode backup served on the Unix socket {@code socket}: every disk exported as it is at
   * this instant (copy-before-write into {@code scratch/<target>.qcow2}), and with {@code
   * incremental} also its writes since that checkpoint as a dirty bitmap.
   */
  static String pull(Path socket, List<String> targets, Path scratch,
      Optional<String> incremental) {
    StringBuilder xml = new StringBuilder("<domainbackup mode='pull'>");
    incremental.ifPresent(name -> xml.append("<incremental>").append(escape(name))
        .append("</incremental>"));
    xml.append("<server transport='unix' socket='").append(escape(socket.toString()))
        .append("'/><disks>");
    for (String target : targets) {
      xml.append("<disk name='").append(target).append("' backup='yes' type='file' exportname='")
          .append(exportName(target)).append("'");
      if (incremental.isPresent()) {
        xml.append(" exportbitmap='").append(exportBitmap(target)).append("'");
      }
      xml.append("><driver type='qcow2'/><scratch file='")
          .append(escape(scratch.resolve(target + ".qcow2").toString())).append("'/></disk>");
    }
    return xml.append("</disks></domainbackup>").toString();
  }

  /**
   * The {@code size} libvirt gives disk {@code target} in a checkpoint's XML (asked with its
   * size flag): the bytes its dirty bitmap marks; empty when the disk has none.
   */
  static java.util.OptionalLong checkpointSize(String checkpointXml, String target)
      throws java.io.IOException {
    org.w3c.dom.NodeList disks = DomainXml.parse(checkpointXml, "a checkpoint's")
        .getElementsByTagName("disk");
    for (int i = 0; i < disks.getLength(); i++) {
      org.w3c.dom.Element disk = (org.w3c.dom.Element) disks.item(i);
      if (disk.getAttribute("name").equals(target) && !disk.getAttribute("size").isEmpty()) {
        try {
          return java.util.OptionalLong.of(Long.parseLong(disk.getAttribute("size")));
        } catch (NumberFormatException e) {
          throw new java.io.IOException("checkpoint disk " + target + " has size '"
              + disk.getAttribute("size") + "'");
        }
      }
    }
    return java.util.OptionalLong.empty();
  }
}
