package org.fedtel.simulations.generator;

import static org.fedtel.simulations.generator.Metric.*;

import java.util.List;

/**
 * One node's telemetry, one step at a time. Application load comes from the phase the schedule
 * puts the node in; the anomaly, if any, adds its own demand on top (HPAS's generators are ordinary
 * user processes that share the node with the application). Everything else follows from the
 * demand: CPU time is capped at the cores and split into user / system / iowait / idle that add up
 * to 100 %; memory parts add up to MemTotal, the page cache grows until it is evicted, and beyond
 * that anonymous memory is swapped; counters only increase and are written as per-second rates;
 * power follows CPU, memory and I/O load, and temperatures follow power with a thermal lag.
 *
 * <p>Every step draws the same number of random numbers whatever the load or anomaly, so two nodes
 * with the same seed see the same noise: a test can compare a node with and without an anomaly
 * and see the anomaly's effect alone.
 */
final class NodeSimulator {
  private static final int NOISE = 28;
  private static final List<Phase> PHASES = AppCatalogue.phases();

  private final Hardware hw;
  private final SplitMix rng;
  private final double dt;
  private final double inletBaseC;
  private final double dailyPhase;
  private final double[] g = new double[NOISE];
  private final double decay20;
  private final double decay30;
  private final double decay45;
  private final double decay60;
  private final double decay1800;

  // Fixed per node.
  private final double cores;
  private final double totalKb;
  private final double kernelKb;
  private final double osAnonKb;
  private final double minFreeKb;
  private final double slabBaseKb;
  private final double buffersBaseKb;
  private final double powerEfficiency;
  private final double tempOffset;
  private final double inletOffset;
  private final double cronOffset;

  // State.
  private int lastJob = -1;
  private double jobScale = 1;
  private double wobble;
  private double appAnonKb;
  private double leakKb;
  private double eaterKb;
  private double swappedKb;
  private double cachedKb;
  private double dirtyKb;
  private double slabKb;
  private double activeFileShare = 0.4;
  private double load;
  private double cpuTemp;

  NodeSimulator(Hardware hw, double intervalSeconds, double inletBaseC, double dailyPhaseSeconds, SplitMix rng) {
    this.hw = hw;
    this.rng = rng;
    this.dt = intervalSeconds;
    this.decay20 = StrictMath.exp(-dt / 20);
    this.decay30 = StrictMath.exp(-dt / 30);
    this.decay45 = StrictMath.exp(-dt / 45);
    this.decay60 = StrictMath.exp(-dt / 60);
    this.decay1800 = StrictMath.exp(-dt / 1800);
    this.inletBaseC = inletBaseC;
    this.dailyPhase = dailyPhaseSeconds;
    this.cores = hw.cores();
    this.totalKb = hw.memKb();
    this.kernelKb = totalKb * rng.uniform(0.012, 0.02) + 400_000;
    this.osAnonKb = totalKb * rng.uniform(0.006, 0.012);
    this.minFreeKb = totalKb * 0.005;
    this.slabBaseKb = totalKb * rng.uniform(0.006, 0.01);
    this.buffersBaseKb = totalKb * rng.uniform(0.001, 0.003);
    this.powerEfficiency = rng.uniform(0.95, 1.05);
    this.tempOffset = rng.uniform(-2, 2);
    this.inletOffset = rng.uniform(-1, 1);
    this.cronOffset = rng.uniform(0, 3570);
    this.slabKb = slabBaseKb;
    this.cachedKb = totalKb * rng.uniform(0.02, 0.08);
    this.cpuTemp = inletBaseC + 10;
    this.load = 1;
  }

  /**
   * Advances one interval and writes the sample into {@code out} (indexed by {@link Metric#ordinal()}).
   *
   * @param phaseId the phase the node runs (0 = idle)
   * @param jobSerial the job it belongs to (-1 when idle)
   * @param speed the job's progress rate, 1 = unimpeded
   * @param anomaly the anomaly active during this interval, or null
   * @param intensity its intensity in (0, 1]
   * @param anomalyAgeSteps steps since the anomaly started (0 on its first sample)
   * @param time the sample's Unix time in seconds
   */
  void step(int phaseId, int jobSerial, double speed, AnomalyType anomaly, double intensity, int anomalyAgeSteps,
      long time, double[] out) {
    for (int i = 0; i < NOISE; i++) {
      g[i] = rng.nextGaussian();
    }
    Phase p = PHASES.get(phaseId);
    if (jobSerial != lastJob) {
      lastJob = jobSerial;
      jobScale = jobSerial < 0 ? 1 : 0.75 + 0.5 * ((SplitMix.mix(jobSerial * 31L + 7) >>> 11) * 0x1.0p-53);
    }
    wobble = 0.95 * wobble + 0.0312 * g[0];
    double f = 1 + wobble * (1 + wobble * (0.5 + wobble / 6)); // exp(wobble) to third order; |wobble| is small
    double v = speed;

    // Application demand.
    double appUser = Math.min(cores, p.user() * cores * f);
    double appSys = p.sys() * cores * f;
    double appIpc = p.ipc() * (1 + 0.03 * g[1]);
    double appMpki = p.mpki() * (1 + 0.05 * g[2]);
    double netBytes = p.netShare() * hw.nicBytesPerSecond() * v * f + 20_000;
    double packetBytes = p.packetBytes();
    double readBytes = p.readShare() * hw.fsBytesPerSecond() * v * f;
    double writeBytes = p.writeShare() * hw.fsBytesPerSecond() * v * f;
    double meta = p.metaOps() * v * f + 0.5;
    double appMeta = meta;
    double appThreads = p.user() > 0.3 ? cores : Math.round(appUser + appSys);
    double appAnonTarget = jobSerial < 0 ? 0 : p.memShare() * totalKb * jobScale;

    // Periodic system daemons (health checks, log rotation): benign, every hour for 30 s.
    double hour = floorMod(time + cronOffset, 3600);
    double cron = hour < 30 ? 1 : 0;
    appSys += 0.3 * cron;
    appUser += 0.4 * cron;
    meta += 40 * cron;
    double creates = appMeta * p.createShare() + 40 * cron * 0.02;
    double unlinks = appMeta * p.unlinkShare() + 40 * cron * 0.02;

    // Anomaly demand (HPAS generators run beside the application).
    double x = anomaly == null ? 0 : intensity;
    double anomUser = 0;
    double anomSys = 0;
    double anomThreads = 0;
    double ownInstrIpc = 1;
    double ownMisses = 0;
    double anomMeta = 0;
    double anomRead = 0;
    double anomWrite = 0;
    double anomNet = 0;
    double anomBlocked = 0;
    double extraFaults = 0;
    double extraCtxt = 0;
    double eaterTarget = 0;
    double leakRate = 0;
    if (anomaly != null) {
      switch (anomaly) {
        case CPUOCCUPY -> {
          anomThreads = Math.max(1, Math.round(x * cores * 0.6));
          anomUser = anomThreads * 0.98;
          ownInstrIpc = 2.5;
          extraCtxt = anomThreads * 250;
        }
        case CACHECOPY -> {
          anomThreads = 1;
          anomUser = 0.98;
          appMpki *= 1 + 2.0 * x;
          appIpc /= 1 + 0.5 * x;
          ownInstrIpc = 1.0;
          ownMisses = x * 3e7;
        }
        case MEMBW -> {
          anomThreads = 1;
          anomUser = 0.98;
          ownInstrIpc = 0.3;
          ownMisses = x * 0.55 * hw.memBandwidthBytesPerSecond() / 64;
          appIpc /= 1 + 0.6 * x * Math.min(1, p.mpki() / 10);
        }
        case MEMLEAK -> {
          anomThreads = 1;
          anomUser = 0.05;
          leakRate = x * totalKb * 2.5e-4;
          extraFaults = leakRate / 4;
        }
        case MEMEATER -> {
          // Allocates its size in eight increments, one every 30 s, touching each, then holds it.
          anomThreads = 1;
          double target = x * 0.35 * totalKb;
          eaterTarget = Math.min(target, target / 8 * (1 + Math.floor(anomalyAgeSteps * dt / 30)));
          boolean growing = eaterKb < eaterTarget;
          anomUser = growing ? 0.9 : 0.05;
        }
        case IOMETADATA -> {
          anomThreads = 1;
          anomMeta = x * 2500;
          anomSys = 0.6;
          anomUser = 0.1;
          creates += anomMeta * 0.2;
          unlinks += anomMeta * 0.2;
        }
        case IOBANDWIDTH -> {
          anomThreads = 1;
          anomWrite = x * 0.45 * hw.fsBytesPerSecond();
          anomRead = x * 0.3 * hw.fsBytesPerSecond();
          anomSys = 0.3 + 0.4 * x;
          anomUser = 0.1;
          anomBlocked = 0.5 + 1.5 * x;
          anomMeta = 2;
        }
        case NETOCCUPY -> {
          anomThreads = 1;
          anomNet = x * 0.7 * hw.nicBytesPerSecond();
          anomUser = 0.98;
          anomSys = 0.1 + 0.3 * x;
        }
      }
    }
    meta += anomMeta;
    readBytes += anomRead;
    writeBytes += anomWrite;
    double netTx = netBytes * (1 + 0.05 * g[3]) + anomNet + writeBytes + meta * 350;
    double netRx = netBytes * (1 + 0.05 * g[4]) + anomNet + readBytes + meta * 350;
    double txPackets = (netBytes * (1 + 0.05 * g[3]) + anomNet) / packetBytes + writeBytes / 4096 + 2 * meta;
    double rxPackets = (netBytes * (1 + 0.05 * g[4]) + anomNet) / packetBytes + readBytes / 4096 + 2 * meta;
    if (anomNet > 0) {
      txPackets += anomNet * (1 / 4096.0 - 1 / packetBytes);
      rxPackets += anomNet * (1 / 4096.0 - 1 / packetBytes);
    }
    double fsLoad = Math.min(1, (readBytes + writeBytes) / hw.fsBytesPerSecond());
    double netLoad = Math.min(1, Math.max(netTx, netRx) / hw.nicBytesPerSecond());

    // CPU time: demand capped at the cores; contention shares time out proportionally.
    double kernelSys = (txPackets + rxPackets) * 1.5e-6 + meta * 2e-4 + fsLoad * 0.5;
    double userDemand = appUser + anomUser;
    double sysDemand = appSys + anomSys + kernelSys;
    double demand = userDemand + sysDemand;
    double share = demand > cores * 0.995 ? cores * 0.995 / demand : 1;
    double userCores = userDemand * share;
    double sysCores = sysDemand * share;
    double idleCores = cores - userCores - sysCores;
    double iowaitCores = Math.min(idleCores * 0.9, cores * 0.2 * fsLoad + anomBlocked * 0.4);
    double userPct = Math.max(0, 100 * userCores / cores + 0.15 * g[5]);
    double sysPct = Math.max(0, 100 * sysCores / cores + 0.05 * g[6]);
    double iowaitPct = Math.max(0, 100 * iowaitCores / cores + 0.02 * Math.abs(g[7]));
    // In hundredths of a percent, so that the four shares add up to exactly 100 after rounding.
    long u = Math.round(userPct * 100);
    long sy = Math.round(sysPct * 100);
    long io = Math.round(iowaitPct * 100);
    long over = u + sy + io - 10_000;
    if (over > 0) {
      long fromIo = Math.min(io, over);
      io -= fromIo;
      over -= fromIo;
      long fromSys = Math.min(sy, over);
      sy -= fromSys;
      u -= over - fromSys;
    }
    out[CPU_USER_PCT.ordinal()] = u / 100.0;
    out[CPU_SYS_PCT.ordinal()] = sy / 100.0;
    out[CPU_IOWAIT_PCT.ordinal()] = io / 100.0;
    out[CPU_IDLE_PCT.ordinal()] = (10_000 - u - sy - io) / 100.0;

    double running = Math.max(1, Math.round(appThreads * share + anomThreads + 1 + Math.abs(g[8]) + cron * 2));
    double blocked = Math.max(0, Math.round(fsLoad * 3 + anomBlocked + 0.4 * g[9]));
    double decay = decay60;
    load = load * decay + (running + blocked) * (1 - decay);
    out[PROCS_RUNNING.ordinal()] = running;
    out[PROCS_BLOCKED.ordinal()] = blocked;
    out[LOAD_1M.ordinal()] = round(load, 2);

    double contention = Math.max(0, demand - cores * 0.995);
    rate(out, CTXT_PER_S, cores * 150 + running * 40 + (txPackets + rxPackets) / 10 + meta * 4 + extraCtxt
        + contention * 800, 0.03, g[10]);
    rate(out, INTR_PER_S, cores * 250 + (txPackets + rxPackets) / 32 + (readBytes + writeBytes) / 65_536, 0.02, g[11]);

    // Memory.
    if (jobSerial < 0) {
      appAnonKb = 0;
    } else {
      appAnonKb += (appAnonTarget - appAnonKb) * (1 - decay30);
    }
    double growth = Math.max(0, appAnonTarget - appAnonKb) * (1 - decay30);
    leakKb = anomaly == AnomalyType.MEMLEAK ? leakKb + leakRate * dt : 0;
    double eaten = anomaly == AnomalyType.MEMEATER ? Math.min(eaterTarget - eaterKb, 2e6 * dt) : 0;
    eaterKb = anomaly == AnomalyType.MEMEATER ? eaterKb + eaten : 0;
    extraFaults += eaten / 4 / dt;
    ownMisses += eaten * 1024 / 64 / dt;
    double anonDemand = osAnonKb * (1 + 0.01 * g[12]) + appAnonKb + leakKb + eaterKb;
    double fileKbIn = (readBytes + writeBytes) / 1024 * dt;
    cachedKb += fileKbIn * 0.9 + 200 * dt;
    double dirtyIn = writeBytes / 1024 * dt + 50 * dt;
    dirtyKb += dirtyIn;
    double flushed = dirtyKb * (1 - decay20);
    dirtyKb -= flushed;
    double writebackKb = Math.min(flushed * 0.25, Math.max(0, cachedKb - dirtyKb));
    slabKb = slabBaseKb + (slabKb - slabBaseKb) * decay1800 + meta * 0.6 * dt;
    double buffersKb = buffersBaseKb * (1 + 0.02 * g[13]);
    double minCached = totalKb * 0.005;
    cachedKb = Math.max(cachedKb, dirtyKb + writebackKb + minCached);
    double overflow = kernelKb + anonDemand + cachedKb + buffersKb + slabKb + minFreeKb - totalKb;
    double majorFaults = 2 + fsLoad * 20;
    if (overflow > 0) {
      double evictable = cachedKb - dirtyKb - writebackKb - minCached;
      double e = Math.min(overflow, Math.max(0, evictable));
      cachedKb -= e;
      overflow -= e;
      majorFaults += e / 4 / dt * 0.01;
    }
    double swapTarget = Math.max(0, overflow);
    double swapOutKb = Math.max(0, swapTarget - swappedKb);
    swappedKb = swapTarget;
    double anonKb = anonDemand - swappedKb;
    double freeKb = totalKb - kernelKb - anonKb - cachedKb - buffersKb - slabKb;
    activeFileShare = 0.97 * activeFileShare + 0.03 * (0.3 + 0.5 * fsLoad) + 0.004 * g[14];
    activeFileShare = Math.max(0.05, Math.min(0.95, activeFileShare));
    double fileKb = cachedKb + buffersKb;
    double activeKb = 0.9 * anonKb + activeFileShare * fileKb;
    out[MEM_TOTAL_KB.ordinal()] = Math.round(totalKb);
    long kernel = Math.round(kernelKb);
    long anon = Math.round(anonKb);
    long cached = Math.round(cachedKb);
    long buffers = Math.round(buffersKb);
    long slab = Math.round(slabKb);
    long total = Math.round(totalKb);
    long free = total - kernel - anon - cached - buffers - slab;
    long active = Math.round(activeKb);
    long dirty = Math.round(dirtyKb);
    long writeback = Math.round(writebackKb);
    out[MEM_FREE_KB.ordinal()] = free;
    out[MEM_ANON_KB.ordinal()] = anon;
    out[MEM_CACHED_KB.ordinal()] = cached;
    out[MEM_BUFFERS_KB.ordinal()] = buffers;
    out[MEM_SLAB_KB.ordinal()] = slab;
    out[MEM_KERNEL_KB.ordinal()] = kernel;
    out[MEM_ACTIVE_KB.ordinal()] = active;
    out[MEM_INACTIVE_KB.ordinal()] = anon + cached + buffers - active;
    out[MEM_DIRTY_KB.ordinal()] = Math.min(dirty, cached);
    out[MEM_WRITEBACK_KB.ordinal()] = writeback;
    out[MEM_AVAILABLE_KB.ordinal()] = Math.min(total, Math.max(free,
        free + cached + buffers - dirty - writeback + slab / 2));
    assert freeKb >= minFreeKb * 0.99 : freeKb;

    double faults = 300 + growth / 4 / dt + userCores * 20 + extraFaults + meta * 2;
    rate(out, PGFAULT_PER_S, faults, 0.05, g[15]);
    rate(out, PGMAJFAULT_PER_S, majorFaults, 0.2, g[16]);
    rate(out, PGPGIN_KB_PER_S, readBytes / 1024 + majorFaults * 4, 0.03, g[17]);
    rate(out, PGPGOUT_KB_PER_S, flushed / dt + swapOutKb / dt, 0.03, g[18]);
    rate(out, PSWPOUT_PER_S, swapOutKb / 4 / dt, 0, 0);

    rate(out, NIC_RX_BYTES_PER_S, netRx, 0.01, g[19]);
    rate(out, NIC_TX_BYTES_PER_S, netTx, 0.01, g[20]);
    rate(out, NIC_RX_PACKETS_PER_S, rxPackets, 0.01, g[19]);
    rate(out, NIC_TX_PACKETS_PER_S, txPackets, 0.01, g[20]);
    rate(out, FS_READ_BYTES_PER_S, readBytes, 0.03, g[21]);
    rate(out, FS_WRITE_BYTES_PER_S, writeBytes, 0.03, g[22]);
    double other = Math.max(0, meta - creates - unlinks);
    rate(out, FS_OPEN_PER_S, other * 0.35, 0.04, g[23]);
    rate(out, FS_CLOSE_PER_S, other * 0.35, 0.04, g[23]);
    rate(out, FS_GETATTR_PER_S, other * 0.30, 0.04, g[24]);
    rate(out, FS_CREATE_PER_S, creates, 0.04, g[25]);
    rate(out, FS_UNLINK_PER_S, unlinks, 0.04, g[25]);

    // Frequency, counters, power, temperatures.
    double busy = (userCores + sysCores) / cores;
    double freq = hw.turboMhz() - (hw.turboMhz() - hw.baseMhz()) * Curves.pow08(busy)
        - Math.max(0, cpuTemp - 88) * 40;
    double hz = freq * 1e6;
    double appShare = userDemand > 0 ? appUser / userDemand : 0;
    double appInstr = userCores * appShare * hz * appIpc;
    double ownInstr = userCores * (1 - appShare) * hz * ownInstrIpc;
    double sysInstr = sysCores * hz * 0.8;
    double idleInstr = Math.max(0, idleCores) * hz * 0.002;
    double instr = appInstr + ownInstr + sysInstr + idleInstr;
    double misses = appInstr * appMpki / 1000 + sysInstr * 3 / 1000 + ownMisses * (anomUser > 0 ? share : 1);
    out[CPU_IPC.ordinal()] = round(instr / ((userCores + sysCores + Math.max(0, idleCores) * 0.01) * hz), 3);
    rate(out, LLC_MISSES_PER_S, misses, 0.02, g[26]);
    double memBytes = out[LLC_MISSES_PER_S.ordinal()] * 64 * 1.3 + netRx + netTx + readBytes + writeBytes;
    out[MEM_BW_MB_PER_S.ordinal()] = round(memBytes / 1e6, 1);
    double bwShare = Math.min(1, memBytes / hw.memBandwidthBytesPerSecond());
    out[CPU_FREQ_MHZ.ordinal()] = Math.round(freq + 10 * g[27]);

    double span = hw.maxWatts() - hw.idleWatts();
    double watts = (hw.idleWatts() + span * (0.62 * busy * (0.6 + 0.4 * freq / hw.turboMhz()) + 0.12 * bwShare
        + 0.04 * netLoad + 0.03 * fsLoad)) * powerEfficiency;
    out[NODE_POWER_W.ordinal()] = round(watts + 1.5 * g[1], 1);
    double memGb = totalKb / (1 << 20);
    out[DRAM_POWER_W.ordinal()] = round(memGb * (0.02 + 0.08 * bwShare) + 0.3 * g[2], 2);
    double inlet = inletBaseC + inletOffset
        + 1.5 * Curves.dailySine(floorMod(time + dailyPhase, 86_400) / 86_400);
    double target = inlet + 8 + tempOffset + 45 * (watts / powerEfficiency - hw.idleWatts()) / span;
    cpuTemp += (target - cpuTemp) * (1 - decay45);
    out[CPU_TEMP_C.ordinal()] = round(cpuTemp + 0.2 * g[3], 2);
    out[INLET_TEMP_C.ordinal()] = round(inlet + 0.1 * g[4], 2);
    out[FAN_RPM.ordinal()] = Math.round(Math.min(14_000, 2500 + 180 * Math.max(0, cpuTemp - 40)) + 40 * g[5]);
  }

  /** A counter's increment over the interval (an integer, never negative) as a per-second rate. */
  private void rate(double[] out, Metric m, double perSecond, double relNoise, double gaussian) {
    long increment = Math.max(0, Math.round(perSecond * dt * (1 + relNoise * gaussian)));
    out[m.ordinal()] = increment / dt;
  }

  private static double floorMod(double a, double m) {
    double r = a % m;
    return r < 0 ? r + m : r;
  }

  private static double round(double v, int decimals) {
    double scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
    return Math.round(v * scale) / scale;
  }
}
