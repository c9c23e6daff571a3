import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Inputs, results and checkpoints, addressed by URI so the simulation program only needs the
 * URIs it is given (`INPUT_URI`, `OUTPUT_URI`): `s3://bucket/key` on AWS, `file:///…` locally.
 */
export interface ObjectStore {
  /** The URI the object stored under `key` has in this store. */
  uriFor(key: string): string;
  put(uri: string, body: string, contentType?: string): Promise<void>;
  /** The object's text, or undefined when there is none. */
  get(uri: string): Promise<string | undefined>;
  delete(uri: string): Promise<void>;
}

/** The embedded store: a directory on disk; writes go through a rename so readers never see half a file. */
export class LocalDirectoryObjectStore implements ObjectStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  uriFor(key: string): string {
    return pathToFileURL(resolve(this.root, key)).href;
  }

  async put(uri: string, body: string): Promise<void> {
    const path = filePath(uri);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async get(uri: string): Promise<string | undefined> {
    try {
      return await readFile(filePath(uri), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(uri: string): Promise<void> {
    await rm(filePath(uri), { force: true });
  }
}

function filePath(uri: string): string {
  if (!uri.startsWith('file://')) throw new Error(`Not a file:// URI: ${uri}`);
  return fileURLToPath(uri);
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

/** Sends each URI to the store for its scheme; the simulation program reads and writes through this. */
export class SchemeObjectStore implements ObjectStore {
  constructor(
    private readonly stores: { readonly file: ObjectStore; readonly s3?: () => ObjectStore },
    private readonly defaultStore: ObjectStore = stores.file,
  ) {}

  private storeFor(uri: string): ObjectStore {
    if (uri.startsWith('file://')) return this.stores.file;
    if (uri.startsWith('s3://') && this.stores.s3) return this.stores.s3();
    throw new Error(`Unsupported URI scheme: ${uri}`);
  }

  uriFor(key: string): string {
    return this.defaultStore.uriFor(key);
  }

  put(uri: string, body: string, contentType?: string): Promise<void> {
    return this.storeFor(uri).put(uri, body, contentType);
  }

  get(uri: string): Promise<string | undefined> {
    return this.storeFor(uri).get(uri);
  }

  delete(uri: string): Promise<void> {
    return this.storeFor(uri).delete(uri);
  }
}
