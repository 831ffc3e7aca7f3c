"""Unit tests for bench_stats (run by ctest as bench.statistics)."""

import unittest

from bench_stats import median_interval


class MedianIntervalTest(unittest.TestCase):
    def test_five_rounds_need_the_whole_range(self):
        # 1 - 2/32: only [min, max] reaches 90% with five rounds.
        low, high, level = median_interval([0.88, 0.80, 1.01, 0.85, 0.92])
        self.assertEqual((low, high), (0.80, 1.01))
        self.assertAlmostEqual(level, 0.9375)

    def test_nine_rounds_drop_one_value_at_each_end(self):
        # k = 2: 1 - 2 * (1 + 9) / 512 = 0.9609; k = 3 would be 0.8203.
        values = [0.95, 0.81, 0.90, 0.87, 0.99, 0.84, 0.91, 0.86, 0.89]
        low, high, level = median_interval(values)
        self.assertEqual((low, high), (0.84, 0.95))
        self.assertAlmostEqual(level, 1 - 2 * 10 / 512)

    def test_eleven_rounds_drop_two_at_each_end(self):
        # k = 3: 1 - 2 * (1 + 11 + 55) / 2048 = 0.9346.
        values = [float(v) for v in range(11)]
        low, high, level = median_interval(values)
        self.assertEqual((low, high), (2.0, 8.0))
        self.assertAlmostEqual(level, 1 - 2 * 67 / 2048)

    def test_a_stricter_level_widens_the_interval(self):
        values = [float(v) for v in range(11)]
        low, high, level = median_interval(values, confidence=0.99)
        self.assertEqual((low, high), (0.0, 10.0))
        self.assertAlmostEqual(level, 1 - 2 / 2048)

    def test_too_few_rounds_give_no_interval(self):
        self.assertIsNone(median_interval([1.0, 2.0, 3.0, 4.0]))
        self.assertIsNone(median_interval([]))


if __name__ == "__main__":
    unittest.main()
