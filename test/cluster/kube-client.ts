import { request } from 'https';

/**
 * The least of a Kubernetes client the harness needs, over the API server's REST API:
 * discovery, server-side apply (dry-run or real), get, list, delete. Every refusal
 * becomes a `KubeError` carrying the server's own Status message.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface Connection {
  readonly server: string;
  readonly token: string;
  readonly ca: string;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Resource {
  readonly path: string;
  readonly namespaced: boolean;
}

interface ApiResourceList {
  readonly groupVersion: string;
  readonly resources: readonly { name: string; kind: string; namespaced: boolean }[];
}

export class KubeClient {
  private readonly resources = new Map<string, Resource>();

  constructor(private readonly conn: Connection) {}

  /** One HTTP call; resolves with the parsed body, rejects with the server's Status message. */
  async call<T = unknown>(method: string, path: string, body?: string, contentType = 'application/json'): Promise<T> {
    const url = new URL(path, this.conn.server);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.conn.ca,
          headers: {
            Authorization: `Bearer ${this.conn.token}`,
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: { message?: string; reason?: string } = {};
            try {
              parsed = text ? (JSON.parse(text) as typeof parsed) : {};
            } catch {
              parsed = { message: text };
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed as T);
            else reject(new KubeError(status, parsed.reason ?? '', parsed.message ?? `HTTP ${status}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer from the API server in 60 s`)));
      req.on('error', (e) => reject(new KubeError(0, 'Unreachable', `${method} ${url.pathname}: the API server is unreachable (${e.message})`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Forgets what discovery learnt (after CRDs are installed). */
  resetDiscovery(): void {
    this.resources.clear();
  }

  private async resource(apiVersion: string, kind: string): Promise<Resource> {
    const key = `${apiVersion}/${kind}`;
    const known = this.resources.get(key);
    if (known) return known;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: ApiResourceList;
    try {
      list = await this.call<ApiResourceList>('GET', base);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) throw new KubeError(404, 'NoKind', `the server has no API ${apiVersion} (is its CRD installed?)`);
      throw e;
    }
    for (const r of list.resources) {
      if (r.name.includes('/')) continue;
      this.resources.set(`${apiVersion}/${r.kind}`, { path: `${base}/${r.name}`, namespaced: r.namespaced });
    }
    const found = this.resources.get(key);
    if (!found) throw new KubeError(404, 'NoKind', `the server has no kind ${kind} in ${apiVersion} (is its CRD installed?)`);
    return found;
  }

  private async objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    return `${await this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    // A namespaced resource's bare path lists it in every namespace.
    if (!r.namespaced || !namespace) return r.path;
    const [prefix, plural] = [r.path.slice(0, r.path.lastIndexOf('/')), r.path.slice(r.path.lastIndexOf('/') + 1)];
    return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced;
  }

  /** Server-side apply, as a GitOps controller does it (its field manager, conflicts forced). */
  async apply(obj: KubeObject, fieldManager: string, dryRun = false): Promise<KubeObject> {
    const path = await this.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
    return this.call<KubeObject>('PATCH', path + query, JSON.stringify(obj), 'application/apply-patch+yaml');
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    try {
      return await this.call<KubeObject>('GET', await this.objectPath(apiVersion, kind, name, namespace));
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const res = await this.call<{ items: KubeObject[] }>('GET', (await this.collectionPath(apiVersion, kind, namespace)) + query);
    return res.items.map((i) => ({ ...i, apiVersion, kind }));
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    return this.call<KubeObject>('POST', await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace), JSON.stringify(obj));
  }

  /** Deletes with background propagation, as Flux's and Argo CD's prune do; a missing object is no error. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    try {
      await this.call('DELETE', await this.objectPath(apiVersion, kind, name, namespace), JSON.stringify({ propagationPolicy: 'Background' }));
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 404)) throw e;
    }
  }
}
