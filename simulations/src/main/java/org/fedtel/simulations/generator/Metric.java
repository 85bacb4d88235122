package org.fedtel.simulations.generator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The metrics of one node sample, in CSV column order, modelled on the LDMS samplers procstat,
 * meminfo, vmstat, procnetdev, a Lustre llite client, a hardware-counter sampler and the node's
 * power and temperature sensors. Rates ({@code _per_s}) are differences of monotone counters
 * divided by the sampling interval; the rest are gauges. docs/DATA.md describes each one.
 */
public enum Metric {
  CPU_USER_PCT("cpu_user_pct", 2),
  CPU_SYS_PCT("cpu_sys_pct", 2),
  CPU_IOWAIT_PCT("cpu_iowait_pct", 2),
  CPU_IDLE_PCT("cpu_idle_pct", 2),
  CTXT_PER_S("ctxt_per_s", 2),
  INTR_PER_S("intr_per_s", 2),
  PROCS_RUNNING("procs_running", 0),
  PROCS_BLOCKED("procs_blocked", 0),
  LOAD_1M("load_1m", 2),
  MEM_TOTAL_KB("mem_total_kb", 0),
  MEM_FREE_KB("mem_free_kb", 0),
  MEM_AVAILABLE_KB("mem_available_kb", 0),
  MEM_ACTIVE_KB("mem_active_kb", 0),
  MEM_INACTIVE_KB("mem_inactive_kb", 0),
  MEM_ANON_KB("mem_anon_kb", 0),
  MEM_CACHED_KB("mem_cached_kb", 0),
  MEM_BUFFERS_KB("mem_buffers_kb", 0),
  MEM_DIRTY_KB("mem_dirty_kb", 0),
  MEM_WRITEBACK_KB("mem_writeback_kb", 0),
  MEM_SLAB_KB("mem_slab_kb", 0),
  MEM_KERNEL_KB("mem_kernel_kb", 0),
  PGFAULT_PER_S("pgfault_per_s", 2),
  PGMAJFAULT_PER_S("pgmajfault_per_s", 2),
  PGPGIN_KB_PER_S("pgpgin_kb_per_s", 2),
  PGPGOUT_KB_PER_S("pgpgout_kb_per_s", 2),
  PSWPOUT_PER_S("pswpout_per_s", 2),
  NIC_RX_BYTES_PER_S("nic_rx_bytes_per_s", 2),
  NIC_TX_BYTES_PER_S("nic_tx_bytes_per_s", 2),
  NIC_RX_PACKETS_PER_S("nic_rx_packets_per_s", 2),
  NIC_TX_PACKETS_PER_S("nic_tx_packets_per_s", 2),
  FS_READ_BYTES_PER_S("fs_read_bytes_per_s", 2),
  FS_WRITE_BYTES_PER_S("fs_write_bytes_per_s", 2),
  FS_OPEN_PER_S("fs_open_per_s", 2),
  FS_CLOSE_PER_S("fs_close_per_s", 2),
  FS_GETATTR_PER_S("fs_getattr_per_s", 2),
  FS_CREATE_PER_S("fs_create_per_s", 2),
  FS_UNLINK_PER_S("fs_unlink_per_s", 2),
  CPU_IPC("cpu_ipc", 3),
  LLC_MISSES_PER_S("llc_misses_per_s", 2),
  MEM_BW_MB_PER_S("mem_bw_mb_per_s", 1),
  CPU_FREQ_MHZ("cpu_freq_mhz", 0),
  NODE_POWER_W("node_power_w", 1),
  DRAM_POWER_W("dram_power_w", 2),
  CPU_TEMP_C("cpu_temp_c", 2),
  INLET_TEMP_C("inlet_temp_c", 2),
  FAN_RPM("fan_rpm", 0);

  /** The number of metrics per sample. */
  public static final int COUNT = values().length;

  private static final List<String> COLUMNS;

  static {
    List<String> c = new ArrayList<>();
    for (Metric m : values()) {
      c.add(m.column);
    }
    COLUMNS = Collections.unmodifiableList(c);
  }

  private final String column;
  private final int decimals;

  Metric(String column, int decimals) {
    this.column = column;
    this.decimals = decimals;
  }

  /** The CSV column name. */
  public String column() {
    return column;
  }

  /** Decimal places written (trailing zeros are dropped). */
  public int decimals() {
    return decimals;
  }

  /** Column names in order. */
  public static List<String> columns() {
    return COLUMNS;
  }

  /** The metric with this column name. */
  public static Metric ofColumn(String column) {
    for (Metric m : values()) {
      if (m.column.equals(column)) {
        return m;
      }
    }
    throw new IllegalArgumentException("no metric named '" + column + "'");
  }
}
