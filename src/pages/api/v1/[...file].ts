/** Every /api/v1/ file and its JSON Schema, emitted as static JSON at build time (see src/lib/api.ts). */
import type { APIRoute, GetStaticPaths } from 'astro';
import { API_FILES, apiSchemas, jsonSchemaFor, toJson } from '../../../lib/api.ts';
import { getDataset } from '../../../lib/data.ts';

export const getStaticPaths = (() => [
  ...API_FILES.map((f) => ({ params: { file: f.path }, props: { kind: 'data', path: f.path } })),
  ...apiSchemas().map((f) => ({
    params: { file: `schemas/${f.schemaName}.schema.json` },
    props: { kind: 'schema', path: f.path },
  })),
]) satisfies GetStaticPaths;

interface Props {
  kind: 'data' | 'schema';
  path: string;
}

export const GET: APIRoute<Props> = async ({ props, site }) => {
  const file = API_FILES.find((f) => f.path === props.path);
  if (!file) throw new Error(`No API file is listed for "${props.path}".`);
  const body =
    props.kind === 'data'
      ? file.build(await getDataset())
      : jsonSchemaFor(file, site?.href ?? 'http://127.0.0.1:4321/');
  return new Response(toJson(body), {
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
};
