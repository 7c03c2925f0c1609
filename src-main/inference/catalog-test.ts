/**
 * The catalog's device-level test (the open-set decision): a device is recognised as the class the
 * model gives most of its packets only when it sent at least CATALOG_MIN_PACKETS, that class has
 * at least CATALOG_MIN_SHARE of them, and at least CATALOG_MIN_COVERAGE of them have a (direction,
 * frame size) of that class's own training traffic (its size profile). The classes unseen devices
 * are pulled into are named with confidence but have the wrong shape. The thresholds were chosen
 * leave-one-dataset-out (calibrated on datasets/extras, tested on IoT Sentinel, and the other way
 * round; both sides chose 0.85) with the MADEA validation split as the known devices; the measured
 * rates are in models/EVALUATION.md ("Devices the models never saw").
 */
export const CATALOG_MIN_PACKETS = 20;
export const CATALOG_MIN_SHARE = 0.5;
export const CATALOG_MIN_COVERAGE = 0.85;
