package io.failback.controller.cloud;

import java.nio.file.Path;

/** One disk of a cloud VM and the file that holds it. */
public record CloudDisk(String name, Path path, DiskFormat format, long virtualSize) {}
