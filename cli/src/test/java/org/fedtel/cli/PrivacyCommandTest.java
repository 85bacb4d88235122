package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** End to end through the real command tree. */
class PrivacyCommandTest {
  private static double field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":([-0-9.eE]+)").matcher(json);
    assertTrue(m.find(), name + " missing from " + json);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void epsilonRdpJson() {
    FedtelCommandTest.Result r = FedtelCommandTest.run("privacy", "epsilon", "--sampling-rate", "0.0025",
        "--noise-multiplier", "1.3", "--steps", "6000", "--delta", "1e-5", "--json");
    assertEquals(0, r.exit(), r.err());
    // Default orders include 19, so the TF-Privacy vector (0.7242234026109595) is reproduced or beaten.
    double eps = field(r.out(), "epsilon");
    assertTrue(eps <= 0.7242234026109595 + 1e-12 && eps > 0.7, r.out());
    assertEquals(1, r.out().strip().lines().count());
  }

  @Test
  void epsilonTextAndPld() {
    FedtelCommandTest.Result rdp = FedtelCommandTest.run("privacy", "epsilon", "--sampling-rate", "1",
        "--noise-multiplier", "1.7320508075688772", "--steps", "3", "--delta", "0.126936", "--json");
    FedtelCommandTest.Result pld = FedtelCommandTest.run("privacy", "epsilon", "--sampling-rate", "1",
        "--noise-multiplier", "1.7320508075688772", "--steps", "3", "--delta", "0.126936",
        "--accountant", "pld", "--json");
    assertEquals(0, pld.exit(), pld.err());
    // VECTORS.md: σ=√3 three times is σ=1, δ(ε=1) = 0.126936, so PLD's ε is ≈ 1 and below RDP's.
    assertEquals(1.0, field(pld.out(), "epsilon"), 2e-3);
    assertTrue(field(pld.out(), "epsilon") < field(rdp.out(), "epsilon"));
    FedtelCommandTest.Result text = FedtelCommandTest.run("privacy", "epsilon", "--sampling-rate", "0.01",
        "--noise-multiplier", "1.1", "--steps", "1000", "--delta", "1e-5");
    assertEquals(0, text.exit(), text.err());
    assertTrue(text.out().startsWith("epsilon = "), text.out());
  }

  @Test
  void noiseMultiplierRoundTrips() {
    FedtelCommandTest.Result r = FedtelCommandTest.run("privacy", "noise-multiplier", "--epsilon", "1",
        "--delta", "1e-5", "--sampling-rate", "0.01", "--steps", "1000", "--json");
    assertEquals(0, r.exit(), r.err());
    double z = field(r.out(), "noise_multiplier");
    FedtelCommandTest.Result back = FedtelCommandTest.run("privacy", "epsilon", "--sampling-rate", "0.01",
        "--noise-multiplier", Double.toString(z), "--steps", "1000", "--delta", "1e-5", "--json");
    double eps = field(back.out(), "epsilon");
    assertTrue(eps <= 1.0 && eps > 0.999, back.out());
  }

  @Test
  void badInputIsOneLineAndExitTwo() {
    String[][] bad = {
      {"privacy", "epsilon", "--sampling-rate", "1.5", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5"},
      {"privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "NaN", "--steps", "10", "--delta", "1e-5"},
      {"privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "-1", "--delta", "1e-5"},
      {"privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10", "--delta", "0"},
      {"privacy", "epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5", "--accountant", "moments"},
      {"privacy", "noise-multiplier", "--epsilon", "-1", "--delta", "1e-5", "--sampling-rate", "0.1", "--steps", "10"},
      {"privacy", "noise-multiplier", "--epsilon", "1", "--delta", "2", "--sampling-rate", "0.1", "--steps", "10"},
    };
    for (String[] args : bad) {
      FedtelCommandTest.Result r = FedtelCommandTest.run(args);
      assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), String.join(" ", args) + " -> " + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().startsWith("fedtel: --"), r.err());
    }
  }
}
