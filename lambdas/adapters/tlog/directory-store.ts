import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpoint } from '../../core/tlog/checkpoint.js';
import { parseNote } from '../../core/tlog/note.js';
import type { TileStore, TreeHead } from '../../core/tlog/ports.js';
import { TILE_WIDTH, type TileId, tilePath } from '../../core/tlog/tiles.js';
import { readOrNull, readText, replaceFile, writeOnce } from './files.js';

/**
 * The log's tiles, entry bundles and checkpoint in a directory, laid out exactly as tlog-tiles
 * serves them (`<root>/checkpoint`, `<root>/tile/...`), so the directory can be served as is or
 * read by `feeproof log verify --dir`. The tree head's compare-and-swap lives beside it in
 * `<state>/heads/<generation>`: each published head is a new file made with link(), which fails
 * if another writer made that generation first, so two integrators cannot both win.
 */
export class DirectoryTileStore implements TileStore {
  private readonly heads: string;

  constructor(
    readonly root: string,
    state = join(root, '..', 'log-state'),
  ) {
    this.heads = join(state, 'heads');
  }

  async readTile(tile: TileId): Promise<Uint8Array | null> {
    const exact = await readOrNull(join(this.root, tilePath(tile)));
    if (exact || tile.width === TILE_WIDTH) return exact;
    // A partial tile's hashes are a prefix of the full tile's, which may have replaced it.
    return readOrNull(join(this.root, tilePath({ ...tile, width: TILE_WIDTH })));
  }

  async writeTile(tile: TileId, bytes: Uint8Array): Promise<void> {
    const path = join(this.root, tilePath(tile));
    if (await writeOnce(path, bytes)) return;
    const existing = await readFile(path);
    if (Buffer.compare(existing, bytes) !== 0)
      throw new Error(`refusing to overwrite ${tilePath(tile)} with different bytes: the log would fork`);
  }

  async readCheckpoint(): Promise<TreeHead | null> {
    const latest = await this.latest();
    if (!latest) return null;
    // Completes a publication that a crash interrupted between the swap and the served copy.
    const served = await readOrNull(join(this.root, 'checkpoint'));
    if (!served || Buffer.from(served).toString('utf8') !== latest.note)
      await replaceFile(join(this.root, 'checkpoint'), Buffer.from(latest.note));
    return latest;
  }

  async swapCheckpoint(expected: string | null, next: TreeHead): Promise<boolean> {
    const current = await this.latestGeneration();
    const currentNote = current === 0 ? null : await readText(this.headPath(current));
    if (currentNote !== expected) return false;
    if (!(await writeOnce(this.headPath(current + 1), Buffer.from(next.note)))) return false;
    await replaceFile(join(this.root, 'checkpoint'), Buffer.from(next.note));
    // The writer moves the hint, so that readers find the head without writing anything.
    await replaceFile(this.hintPath, Buffer.from(String(current + 1))).catch(() => undefined);
    return true;
  }

  private headPath(generation: number) {
    return join(this.heads, String(generation).padStart(12, '0'));
  }

  private async latest(): Promise<TreeHead | null> {
    const g = await this.latestGeneration();
    if (g === 0) return null;
    const note = (await readText(this.headPath(g)))!;
    return { note, checkpoint: parseCheckpoint(parseNote(note).text) };
  }

  /** The generation the last swap published, as it noted; it lags only after a crash between the two. */
  private get hintPath() {
    return join(this.heads, 'latest');
  }

  /**
   * The highest generation: from the hint, then probing forward. A reader writes nothing; after
   * a crash left the hint behind, the probe finds the rest, and the next swap moves the hint.
   */
  private async latestGeneration(): Promise<number> {
    const hint = Number((await readText(this.hintPath)) ?? 0) || 0;
    // A hint past the heads (another directory's, say) is no start: probe from the first.
    let g = hint > 0 && (await readOrNull(this.headPath(hint))) === null ? 0 : hint;
    while ((await readOrNull(this.headPath(g + 1))) !== null) g++;
    return g;
  }
}
