package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.RoundingMode;
import org.junit.jupiter.api.Test;

class DecimalTest {
  @Test
  void knownAnswers() {
    assertEquals("0", Decimal.format(0, 2));
    assertEquals("0", Decimal.format(-0.0, 2));
    assertEquals("0", Decimal.format(-0.001, 2));
    assertEquals("1.5", Decimal.format(1.5, 2));
    assertEquals("1.05", Decimal.format(1.05, 2));
    assertEquals("100", Decimal.format(99.999, 2));
    assertEquals("-3.25", Decimal.format(-3.25, 3));
    assertEquals("536870912", Decimal.format(536870912, 0));
    assertEquals("0.001", Decimal.format(0.001, 3));
    assertEquals("12345678901.2", Decimal.format(12345678901.2, 1));
  }

  /** Cross-check against BigDecimal, the slow reference: same digits as HALF_UP of the scaled double. */
  @Test
  void agreesWithBigDecimalOnRandomValues() {
    SplitMix r = new SplitMix(4);
    for (int i = 0; i < 30_000; i++) {
      int d = r.nextInt(4);
      double v = (r.nextDouble() - 0.3) * StrictMath.pow(10, r.nextInt(10));
      // Math.round(x) is floor(x + 0.5): HALF_UP for positives, HALF_DOWN in magnitude for negatives,
      // applied to the double v * 10^d; BigDecimal of that same double is the exact reference.
      BigDecimal scaled = new BigDecimal(v * StrictMath.pow(10, d));
      BigDecimal rounded = scaled.setScale(0, RoundingMode.FLOOR).add(
          scaled.subtract(scaled.setScale(0, RoundingMode.FLOOR)).compareTo(new BigDecimal("0.5")) >= 0
              ? BigDecimal.ONE : BigDecimal.ZERO);
      String expected = rounded.movePointLeft(d).stripTrailingZeros().toPlainString();
      if (expected.equals("-0") || rounded.signum() == 0) {
        expected = "0";
      }
      assertEquals(expected, Decimal.format(v, d), "v = " + v + ", decimals = " + d);
    }
  }

  @Test
  void rejectsWhatItCannotWrite() {
    assertThrows(IllegalArgumentException.class, () -> Decimal.format(Double.NaN, 2));
    assertThrows(IllegalArgumentException.class, () -> Decimal.format(Double.POSITIVE_INFINITY, 2));
    assertThrows(IllegalArgumentException.class, () -> Decimal.format(1e300, 2));
  }
}
