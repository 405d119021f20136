-- Fixed-window counters for throttles (sign-up per IP, log-in per account and IP and per
-- IP). One row per key; the attempt is counted by one upsert that takes the row lock, so
-- concurrent attempts cannot all read the same count before any is recorded (R41), and
-- every instance shares the counters.
CREATE TABLE throttle_counters (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL
);
CREATE INDEX throttle_counters_window_idx ON throttle_counters (window_start);
