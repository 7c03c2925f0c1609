/** Program entry of the restore watchdog (restore-watchdog.ts): `restore-watchdog-main <record path> <session>`. */
import { runWatchdog } from './restore-watchdog.ts';

const [recordPath, session] = process.argv.slice(2);
if (recordPath === undefined || session === undefined) {
  console.error('usage: restore-watchdog-main <record path> <session>');
  process.exit(1);
}
runWatchdog(recordPath, session).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
