package org.fedtel.telemetry.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TelemetryCsvTest {
  private record Row(long row, String node, long t, double[] v, String label) {}

  private static List<Row> read(String csv, List<CsvLayout> layout) throws IOException, TelemetryFormatException {
    List<Row> rows = new ArrayList<>();
    CsvLayout l = TelemetryCsv.read(Path.of("t.csv"), new StringReader(csv),
        (r, n, t, v, label) -> rows.add(new Row(r, n, t, v.clone(), label)));
    layout.add(l);
    return rows;
  }

  @Test
  void readsWideWithNodeAndLabelAndTheLabelConvention() throws Exception {
    List<CsvLayout> layout = new ArrayList<>();
    List<Row> rows = read("""
        timestamp,node,cpu,mem,label
        2024-01-01T00:00:00Z,n1,0.5,10,
        2024-01-01T00:00:01Z,n1,,11,normal
        2024-01-01T00:00:01Z,n2,NaN,12,0
        1704067202,n1,0.7,13,memleak
        """, layout);
    assertEquals(CsvLayout.Format.WIDE, layout.get(0).format());
    assertEquals(List.of("cpu", "mem"), layout.get(0).metrics());
    assertEquals(4, rows.size());
    assertEquals(1704067200000L, rows.get(0).t());
    assertEquals(1704067202000L, rows.get(3).t());
    assertTrue(Double.isNaN(rows.get(1).v()[0]));
    assertTrue(Double.isNaN(rows.get(2).v()[0]));
    assertNull(rows.get(0).label());
    assertNull(rows.get(1).label());
    assertNull(rows.get(2).label());
    assertEquals("memleak", rows.get(3).label());
    assertEquals("n2", rows.get(2).node());
  }

  @Test
  void readsLdmsStoreCsvAndNab() throws Exception {
    List<CsvLayout> layout = new ArrayList<>();
    List<Row> rows = read("""
        #Time,Time_usec,ProducerName,component_id,job_id,app_id,MemFree,Active
        1535730000.001234,1234,nid00001,1,0,0,100,5
        1535730001.001234,1234,nid00001,1,0,0,99,6
        """, layout);
    assertEquals(CsvLayout.Format.LDMS, layout.get(0).format());
    assertEquals(List.of("MemFree", "Active"), layout.get(0).metrics());
    assertEquals("nid00001", rows.get(0).node());
    assertEquals(1535730000001L, rows.get(0).t());
    rows = read("timestamp,value\n2014-02-14 14:30:00,0.132\n2014-02-14 14:35:00,0.134\n", layout);
    assertEquals(CsvLayout.Format.NAB, layout.get(1).format());
    assertEquals(1392388200000L, rows.get(0).t());
    assertEquals(0.134, rows.get(1).v()[0]);
  }

  /** The bad-input corpus: every case fails with file, line and column where they apply. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      empty file                  ||                                                    t.csv: empty file
      bad first column            |foo,bar\\n1,2|                                        t.csv:1:1: first column must be timestamp
      no metric                   |timestamp,node\\n1,a|                                 t.csv:1: no metric columns
      duplicate column            |timestamp,a,a\\n1,2,3|                                t.csv:1:13: duplicate column
      short row                   |timestamp,a,b\\n1,2,3\\n2,3|                          t.csv:3: expected 3 columns, found 2
      long row                    |timestamp,a\\n1,2,3|                                  t.csv:2: expected 2 columns, found 3
      not a number                |timestamp,a,b\\n1,2,abc|                              t.csv:2:5: value "abc" is not a number
      infinity                    |timestamp,a\\n1,Infinity|                             t.csv:2:3: value "Infinity" is not finite
      java float suffix           |timestamp,a\\n1,2d|                                   t.csv:2:3: value "2d" is not a number
      hex float                   |timestamp,a\\n1,0x1p3|                                t.csv:2:3: value "0x1p3" is not a number
      signed hex float            |timestamp,a\\n1,-0X1.8P1|                             t.csv:2:3: value "-0X1.8P1" is not a number
      huge hex float              |timestamp,a\\n1,0x1p9999|                             t.csv:2:3: value "0x1p9999" is not a number
      exponent without digits     |timestamp,a\\n1,1e|                                   t.csv:2:3: value "1e" is not a number
      bad timestamp               |timestamp,a\\n2024-13-01T00:00:00,1|                  t.csv:2:1: timestamp "2024-13-01T00:00:00" is neither
      empty timestamp             |timestamp,a\\n,1|                                     t.csv:2:1: empty timestamp
      time goes back              |timestamp,a\\n5,1\\n5,1\\n4,1|                        t.csv:4:1: timestamp 4 goes back in time
      empty node                  |timestamp,node,a\\n5,,1|                              t.csv:2:3: empty node name
      unterminated quote          |timestamp,node,a\\n5,"n1,1|                           t.csv:2:3: unterminated quoted field
      text after quote            |timestamp,node,a\\n5,"n1"x,1|                         t.csv:2:7: text after closing quote
      bad LDMS header             |#Time,Time_usec,Producer,component_id,job_id,app_id,m\\n1,2,3,4,5,6,7|  t.csv:1:17: LDMS store_csv header must begin
      LDMS ISO time               |#Time,Time_usec,ProducerName,component_id,job_id,app_id,m\\n2024-01-01T00:00:00,0,n,1,0,0,7|  t.csv:2:1: #Time "2024-01-01T00:00:00" is not Unix seconds
      LDMS bad usec               |#Time,Time_usec,ProducerName,component_id,job_id,app_id,m\\n1.5,x,n,1,0,0,7|  t.csv:2:5: Time_usec "x" is not an integer
      """)
  void badInputCorpus(String name, String csv, String expected) {
    String text = csv == null ? "" : csv.replace("\\n", "\n");
    TelemetryFormatException e = assertThrows(TelemetryFormatException.class,
        () -> TelemetryCsv.read(Path.of("t.csv"), new StringReader(text), (r, n, t, v, l) -> { }));
    assertTrue(e.getMessage().startsWith(expected.trim()), name + ": got \"" + e.getMessage() + "\"");
  }

  @Test
  void decimalNotationsAreValues() throws Exception {
    List<Row> rows = read("timestamp,a,b,c,d,e,f\n1,1e3,-.5,+2.,1E-2,007,-0\n", new ArrayList<>());
    assertArrayEquals(new double[] {1000, -0.5, 2, 0.01, 7, -0.0}, rows.get(0).v());
  }

  @Test
  void quotedFieldsAndTimeFormats() throws Exception {
    List<CsvLayout> layout = new ArrayList<>();
    List<Row> rows = read("time,node,a\n2024-01-01T01:00:00+01:00,\"n,1\",1\n2024-01-01 00:00:01.5,\"n,1\",2\n", layout);
    assertEquals("n,1", rows.get(0).node());
    assertEquals(1704067200000L, rows.get(0).t());
    assertEquals(1704067201500L, rows.get(1).t());
  }

  @Test
  void nabWindowsParseAndRejectMalformedJson() throws Exception {
    NabWindows w = NabWindows.parse(Path.of("w.json"), """
        {"realAWSCloudwatch/a.csv": [["2014-02-26 13:45:00.000000", "2014-02-27 06:25:00.000000"]],
         "realAWSCloudwatch/b.csv": []}
        """);
    assertEquals(1, w.windowsFor("a.csv").size());
    assertEquals(TelemetryCsv.parseEpochMillis("2014-02-26 13:45:00"), w.windowsFor("a.csv").get(0).startMillis());
    assertTrue(w.covers("b.csv"));
    assertTrue(w.windowsFor("b.csv").isEmpty());
    assertEquals(false, w.covers("c.csv"));
    String[][] bad = {
        {"{\"a.csv\": [[\"2014-02-27\", \"2014-02-26\"]]}", "w.json:1:13: bad window timestamp"},
        {"{\"a.csv\": [[\"2014-02-27 00:00:00\", \"2014-02-26 00:00:00\"]]}", "w.json:1:13: window ["},
        {"{\"a.csv\": [[\"x\"]]}", "w.json:1:16: expected ','"},
        {"{\"a.csv\": []", "w.json:1:13: expected '}', found end of file"},
        {"{\"a.csv\": []} x", "w.json:1:15: trailing text"},
        {"{\"a.csv\": [], \"a.csv\": []}", "duplicate key"},
        {"[", "w.json:1:1: expected '{'"},
        // NAB scoring needs disjoint windows in time order (inclusive ends: touching is overlapping)
        {"{\"a.csv\": [[\"2014-02-20 00:00:00\", \"2014-02-21 00:00:00\"],\n"
            + "  [\"2014-02-20 12:00:00\", \"2014-02-22 00:00:00\"]]}",
            "w.json:2:4: \"a.csv\" window 2 [2014-02-20 12:00:00, 2014-02-22 00:00:00] does not start after "
                + "window 1 [2014-02-20 00:00:00, 2014-02-21 00:00:00] ends"},
        {"{\"a.csv\": [[\"2014-02-23 00:00:00\", \"2014-02-24 00:00:00\"], [\"2014-02-20 00:00:00\", \"2014-02-21 00:00:00\"]]}",
            "does not start after"},
        {"{\"a.csv\": [[\"2014-02-20 00:00:00\", \"2014-02-21 00:00:00\"], [\"2014-02-21 00:00:00\", \"2014-02-22 00:00:00\"]]}",
            "window 2 [2014-02-21 00:00:00, 2014-02-22 00:00:00] does not start after"},
    };
    for (String[] b : bad) {
      TelemetryFormatException e = assertThrows(TelemetryFormatException.class, () -> NabWindows.parse(Path.of("w.json"), b[0]));
      assertTrue(e.getMessage().contains(b[1]), b[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void nabWindowsRefuseAFileNameThatMatchesTwoKeys() throws Exception {
    NabWindows w = NabWindows.parse(Path.of("w.json"), "{\"a/x.csv\": [], \"b/x.csv\": [], \"a/y.csv\": []}");
    assertTrue(w.covers("a/x.csv"), "an exact key is not ambiguous");
    assertTrue(w.covers("y.csv"));
    for (String file : List.of("x.csv", "c/x.csv")) {
      TelemetryFormatException e = assertThrows(TelemetryFormatException.class, () -> w.covers(file));
      assertEquals("w.json: file name x.csv matches two entries, a/x.csv and b/x.csv", e.getMessage());
      assertThrows(TelemetryFormatException.class, () -> w.windowsFor(file));
    }
  }
}
