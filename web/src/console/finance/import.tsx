/**
 * The catalogue import: choose a CSV, see every row with what it would write or its errors
 * (the API's dry run, which writes nothing), then import all rows or none.
 */
import { useState } from 'preact/hooks';
import { standardText } from '../../format.js';
import { type ApiErrorBody, apiJson, type Violation } from '../api.js';
import { NETWORK_ERROR_WORDS, type Refusal, refusalOf } from '../errors.js';
import { RefusalWords, ViolationList } from '../refusal.js';
import { DataTable } from '../table.js';
import { Bi } from '../ui.js';
import type { ItemVersion } from './shared.js';

interface PreviewRow {
  row: number;
  cells: Record<string, string>;
  action: 'create' | 'revise' | null;
  item: ItemVersion | null;
  violations: Violation[];
}

interface Preview {
  valid: boolean;
  rowCount: number;
  errorRows: number;
  rows: PreviewRow[];
}

type Stage =
  | { stage: 'empty' }
  | { stage: 'reading' }
  | { stage: 'refused'; refusal: Refusal }
  | { stage: 'previewed'; preview: Preview }
  | { stage: 'imported'; count: number };

const OFFLINE: Stage = {
  stage: 'refused',
  refusal: { headline: NETWORK_ERROR_WORDS, violations: [] },
};

async function postCsv<T>(path: string, file: File) {
  return apiJson<T & ApiErrorBody>(path, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: file,
  });
}

export function ImportTab() {
  const [file, setFile] = useState<File | null>(null);
  const [stage, setStage] = useState<Stage>({ stage: 'empty' });
  const [busy, setBusy] = useState(false);

  const refused = (answer: { status: number; body: ApiErrorBody | null }): Stage => ({
    stage: 'refused',
    refusal: refusalOf(answer.status, answer.body),
  });

  const preview = async (chosen: File) => {
    setFile(chosen);
    setStage({ stage: 'reading' });
    try {
      const answer = await postCsv<Preview>('/v1/catalogue/import/preview', chosen);
      setStage(answer.status === 200 ? { stage: 'previewed', preview: answer.body } : refused(answer));
    } catch {
      setStage(OFFLINE);
    }
  };

  const importAll = async () => {
    if (!file || busy) return;
    setBusy(true);
    try {
      const answer = await postCsv<{ imported: number }>('/v1/catalogue/import', file);
      setStage(answer.status === 200 ? { stage: 'imported', count: answer.body.imported } : refused(answer));
    } catch {
      setStage(OFFLINE);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">
        <Bi zh="目录导入" en="Catalogue import" />
      </h1>
      <p class="hint" id="import-hint">
        {/* 49: MAX_VERSIONS_PER_WRITE (adapters/dynamo/catalogue-repo.ts), one transaction per import. */}
        <Bi
          zh="选择 CSV 文件（UTF-8，最多 49 行）。先预览每一行，全部无误才能导入；任何一行有错则一行也不导入。"
          en="Choose a CSV (UTF-8, at most 49 rows). Every row is previewed first; the import writes all rows or none."
        />
      </p>
      <div class="field">
        <label for="import-file">
          <Bi zh="CSV 文件" en="CSV file" />
        </label>
        <input
          id="import-file"
          type="file"
          accept=".csv,text/csv"
          data-testid="import-file"
          aria-describedby="import-hint"
          onChange={(e) => {
            const chosen = e.currentTarget.files?.[0];
            if (chosen) preview(chosen);
          }}
        />
      </div>
      <div aria-live="polite" data-testid="import-state" data-state={stage.stage}>
        {stage.stage === 'reading' && <p class="muted">正在预览… Previewing…</p>}
        {stage.stage === 'refused' && (
          <div class="notice notice--error" role="alert" data-testid="import-refused">
            <RefusalWords refusal={stage.refusal} />
          </div>
        )}
        {stage.stage === 'imported' && (
          <p class="notice" role="status" data-testid="import-result">
            <Bi zh={`已导入 ${stage.count} 项。`} en={`${stage.count} item(s) imported.`} />{' '}
            <a href="#catalogue">
              <Bi zh="查看收费目录" en="See the catalogue" />
            </a>
          </p>
        )}
        {stage.stage === 'previewed' && <PreviewTable preview={stage.preview} />}
      </div>
      {stage.stage === 'previewed' && (
        <p class="finance-actions">
          <button
            type="button"
            class="button"
            data-testid="import-submit"
            disabled={!stage.preview.valid || busy}
            aria-describedby="import-verdict"
            onClick={importAll}
          >
            <Bi
              zh={`全部导入（${stage.preview.rowCount} 行）`}
              en={`Import all ${stage.preview.rowCount} rows`}
            />
          </button>
        </p>
      )}
    </section>
  );
}

function PreviewTable(props: { preview: Preview }) {
  const { preview } = props;
  return (
    <>
      <p
        id="import-verdict"
        class={preview.valid ? 'notice' : 'notice notice--error'}
        data-testid="import-verdict"
      >
        {preview.valid ? (
          <Bi
            zh={`${preview.rowCount} 行全部有效，可以导入。`}
            en={`All ${preview.rowCount} rows are valid.`}
          />
        ) : (
          <Bi
            zh={`${preview.rowCount} 行中有 ${preview.errorRows} 行有错，改正后重新选择文件；不会导入任何一行。`}
            en={`${preview.errorRows} of ${preview.rowCount} rows have errors: fix the file and choose it again. Nothing will be imported.`}
          />
        )}
      </p>
      <DataTable
        testId="import-preview"
        caption="导入预览 Import preview"
        columns={[
          { zh: '行', en: 'Row' },
          { zh: '编码', en: 'Code' },
          { zh: '名称', en: 'Name' },
          { zh: '将写入', en: 'Would write' },
          { zh: '错误', en: 'Errors' },
        ]}
      >
        {preview.rows.map((r) => (
          <tr
            key={r.row}
            data-testid="preview-row"
            data-row={r.row}
            data-state={r.violations.length ? 'error' : 'ok'}
            class={r.violations.length ? 'finance-row--error' : undefined}
          >
            <td>{r.row}</td>
            <td class="mono">{r.cells.code}</td>
            <td class="text">{r.cells.name}</td>
            <td class="text">
              {r.item ? (
                <>
                  {r.action === 'create'
                    ? '新设 New'
                    : `修订为第 ${r.item.version} 版 Version ${r.item.version}`}{' '}
                  · {standardText(r.item.standard)}/{r.item.unit} · {r.item.effectiveFrom}
                </>
              ) : (
                '—'
              )}
            </td>
            <td class="text">
              {r.violations.length === 0 ? (
                <span>✓ 无 None</span>
              ) : (
                <ViolationList class="finance-plain finance-errors" violations={r.violations} />
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
