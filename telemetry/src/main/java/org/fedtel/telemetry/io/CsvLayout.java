package org.fedtel.telemetry.io;

import java.util.List;

/**
 * What a telemetry CSV's header says: its format, and which column holds what.
 *
 * @param format the detected format
 * @param metrics metric names, in column order
 * @param hasNode whether rows carry a node (producer) name
 * @param hasLabel whether rows carry a label
 */
public record CsvLayout(Format format, List<String> metrics, boolean hasNode, boolean hasLabel) {
  /** The three input formats of DESIGN.md section 3. */
  public enum Format {
    /** {@code timestamp,node,<metric>...[,label]}; node and label optional. */
    WIDE,
    /** LDMS store_csv: {@code #Time,Time_usec,ProducerName,component_id,job_id,app_id,<metric>...}. */
    LDMS,
    /** NAB: {@code timestamp,value}; labels come from a NAB windows JSON. */
    NAB
  }

  public CsvLayout {
    metrics = List.copyOf(metrics);
    if (metrics.isEmpty()) {
      throw new IllegalArgumentException("no metric columns");
    }
  }
}
