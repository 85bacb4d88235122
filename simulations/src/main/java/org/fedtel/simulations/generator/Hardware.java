package org.fedtel.simulations.generator;

import java.util.List;

/** A node model; every node of a site has the same one (sites differ in hardware scale). */
record Hardware(
    String name,
    int cores,
    long memKb,
    double nicBytesPerSecond,
    double memBandwidthBytesPerSecond,
    double fsBytesPerSecond,
    double idleWatts,
    double maxWatts,
    double baseMhz,
    double turboMhz) {

  static final List<Hardware> CLASSES = List.of(
      new Hardware("small", 16, 64L << 20, 1.25e9, 40e9, 1.0e9, 90, 300, 2100, 3000),
      new Hardware("standard", 32, 128L << 20, 3.125e9, 100e9, 2.5e9, 120, 450, 2400, 3400),
      new Hardware("large-memory", 48, 512L << 20, 3.125e9, 150e9, 3.0e9, 150, 600, 2200, 3300),
      new Hardware("hpc", 64, 256L << 20, 12.5e9, 200e9, 5.0e9, 160, 700, 2000, 3200),
      new Hardware("dense", 128, 512L << 20, 25e9, 400e9, 10e9, 220, 900, 1900, 3100));
}
