/**
 * What the staff console's first load carries (scripts/build-web.mjs): its own code and Preact,
 * not zod (the API validates what the console sends; the console only shows) and not the charts.
 */
import * as esbuild from 'esbuild';
import { expect, it } from 'vitest';

type Build = Omit<esbuild.BuildOptions, 'entryPoints'> & { entryPoints: { out: string; in: string }[] };

it("bundles no zod and no chart code into the console's first load", async () => {
  const { BUILDS } = (await import('../../scripts/build-web.mjs' as string)) as { BUILDS: Build[] };
  const build = BUILDS.find((b) => b.entryPoints.some((e) => e.out === 'console'))!;
  const { metafile } = await esbuild.build({ ...build, write: false, metafile: true });
  const [, first] = Object.entries(metafile.outputs).find(([, o]) =>
    o.entryPoint?.endsWith('console/main.tsx'),
  )!;
  const packages = new Set(
    Object.keys(first.inputs).flatMap((path) => path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? []),
  );
  expect(packages.has('preact')).toBe(true);
  expect(packages.has('zod')).toBe(false);
  expect(packages.has('echarts')).toBe(false);
});
