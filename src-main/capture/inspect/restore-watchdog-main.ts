/** Program entry of the restore watchdog (restore-watchdog.ts): `restore-watchdog-main <record path>`. */
import { runWatchdog } from './restore-watchdog.ts';

const recordPath = process.argv[2];
if (recordPath === undefined) {
  console.error('usage: restore-watchdog-main <record path>');
  process.exit(1);
}
runWatchdog(recordPath).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
