// What the test suite needs from the system, and where it is missing, installs it from
// Debian's packages (as root) or stops at once with the exact command to run. Run by
// `npm test` (pretest) and so by CI; `npm start` needs only Java.
import { execFileSync, spawnSync } from 'node:child_process';

/** A command the tests run, and the Debian package that brings it. */
const NEEDED = [
  ['java', 'openjdk-17-jre-headless', 'DynamoDB Local'],
  ['pdfsig', 'poppler-utils', 'pdfsig, pdftotext, pdftoppm: PDF checks'],
  ['qpdf', 'qpdf', 'PDF structure checks'],
  ['zbarimg', 'zbar-tools', 'QR code decoding'],
  ['chromium', 'chromium', 'the browser tests (driven by playwright-core)'],
  ['pgrep', 'procps', 'finding server processes in the worker and crash tests'],
  ['openssl', 'openssl', 'the worked verification example'],
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = NEEDED.filter(([command]) => !has(command));
if (missing.length === 0) process.exit(0);

const packages = missing.map(([, pkg]) => pkg);
const line = `apt-get update && apt-get install -y ${packages.join(' ')}`;
for (const [command, pkg, why] of missing)
  console.error(`missing: ${command} (Debian package ${pkg}; ${why})`);
if (process.getuid?.() !== 0) {
  console.error(`\nInstall them as root, then run the tests again:\n  sudo sh -c '${line}'`);
  process.exit(1);
}
console.error(`installing: ${packages.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
});
const still = missing.filter(([command]) => !has(command));
if (still.length > 0) {
  console.error(`still missing after the install: ${still.map(([c]) => c).join(', ')}`);
  process.exit(1);
}
