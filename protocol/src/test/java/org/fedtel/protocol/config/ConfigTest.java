package org.fedtel.protocol.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigTest {
  @Test
  void readsTheSubset() throws Exception {
    Config c = Config.parse("f.toml", """
        # comment
        name = "coord # not a comment"   # comment
        [rounds]
        count = 1_000
        timeout = 2.5e1
        private = true
        sites = ["a", "b\\"c"]
        epsilon = inf
        """);
    assertEquals("coord # not a comment", c.string("name", null));
    assertEquals(1000, c.integer("rounds.count", 0, 0, 10_000));
    assertEquals(25.0, c.number("rounds.timeout", 0, 0, 100));
    assertTrue(c.bool("rounds.private", false));
    assertEquals(List.of("a", "b\"c"), c.strings("rounds.sites", List.of()));
    assertEquals(Double.POSITIVE_INFINITY, c.number("rounds.epsilon", 0, 0, Double.POSITIVE_INFINITY));
    assertEquals(7, c.integer("rounds.missing", 7, 0, 10));
    c.checkAllUsed();
  }

  @Test
  void errorsNameFileLineAndKey() {
    String[][] corpus = {
        {"a = ", "f.toml:1: missing value"},
        {"a = 'x'", "f.toml:1: cannot read value 'x'"},
        {"x\n[t\n", "f.toml:1: expected 'key = value'"},
        {"[t\n", "f.toml:1: malformed table header"},
        {"a = \"x", "f.toml:1: unterminated string"},
        {"a = 1\na = 2", "f.toml:2: 'a' is set twice (first on line 1)"},
        {"a = [1, [2]]", "f.toml:1:"},
        {"a = nan", "f.toml:1: nan is not a valid setting"},
        {"a b = 1", "f.toml:1: invalid key 'a b'"},
        {"a = \"\\q\"", "f.toml:1: unsupported escape"},
    };
    for (String[] c : corpus) {
      ConfigException e = assertThrows(ConfigException.class, () -> Config.parse("f.toml", c[0]), c[0]);
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void readsIntegerArraysWithinRange() throws Exception {
    Config c = Config.parse("f.toml", "h = [16, 4, 16]\nbad = [1, \"x\"]\n");
    org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {16, 4, 16}, c.integers("h", new int[0], 1, 100));
    ConfigException e = assertThrows(ConfigException.class, () -> c.integers("bad", new int[0], 1, 100));
    assertEquals("f.toml:2: bad must be an array of integers in [1, 100]", e.getMessage());
  }

  @Test
  void typesRangesAndUnknownKeysAreChecked() throws Exception {
    Config c = Config.parse("f.toml", "n = \"4\"\nm = 400\n[x]\ntypo = 1\n");
    ConfigException e = assertThrows(ConfigException.class, () -> c.integer("n", 0, 0, 10));
    assertEquals("f.toml:1: n must be an integer", e.getMessage());
    e = assertThrows(ConfigException.class, () -> c.integer("m", 0, 0, 10));
    assertEquals("f.toml:2: m = 400 is outside [0, 10]", e.getMessage());
    e = assertThrows(ConfigException.class, c::checkAllUsed);
    assertEquals("f.toml: unknown key x.typo (line 4)", e.getMessage());
  }
}
