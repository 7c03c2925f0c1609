/**
 * The training recipe's forest converter (models/training/forest_to_onnx.py): its Python tests —
 * the exported TreeEnsembleClassifier reproduces scikit-learn's predict_proba — run here too, with
 * Debian's python3-sklearn and python3-onnx (installed by .ci/run); skipped where they are absent.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const TRAINING = resolve(import.meta.dirname, '../../models/training');
const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import numpy, onnx, sklearn'], { stdio: 'ignore' }).status === 0;
if (!available) console.warn(`forest converter tests skipped: ${PYTHON} lacks numpy, onnx or sklearn`);

describe.skipIf(!available)('forest_to_onnx (Python)', () => {
  it('passes its unittest suite', () => {
    const r = spawnSync(PYTHON, ['-m', 'unittest', '-v', 'test_forest_to_onnx'], {
      cwd: TRAINING,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: join(TRAINING) },
    });
    expect(r.stderr).toMatch(/\nOK\s*$/);
    expect(r.status).toBe(0);
  }, 120_000);
});
