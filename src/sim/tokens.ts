// Service account tokens as kube-apiserver issues and checks them: the
// TokenRequest subresource (serviceaccounts/{name}/token) signs an ES256 JWT
// with the real claims under a key only this simulator holds; the same
// tokens authenticate requests (bearer) as the service account, and
// TokenReview answers whether a token is good. A token stops working when it
// expires or when its service account (or the object it is bound to) is
// deleted or replaced. Tokens never appear in errors or logs.

import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { SimClock } from './clock.ts';
import { badRequest, conflict, invalid, notFound } from './errors.ts';
import { SECRETS, SERVICEACCOUNTS } from './refs.ts';
import type { RequestInfo } from './request.ts';
import type { ObjectStore } from './store.ts';
import type { KObject, UserInfo } from './types.ts';

/** The issuer and default audience of a real cluster's service account tokens. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;
const MAX_EXPIRATION_S = 2 ** 32;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Claims {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  jti: string;
  sub: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

const b64 = (v: Buffer | string): string => Buffer.from(v).toString('base64url');

export class ServiceAccountTokens {
  #store: ObjectStore;
  #clock: SimClock;
  #private: KeyObject;
  #public: KeyObject;
  #kid: string;

  constructor(deps: { store: ObjectStore; clock: SimClock }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#private = pair.privateKey;
    this.#public = pair.publicKey;
    this.#kid = b64(createHash('sha256').update(pair.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  /** POST serviceaccounts/{name}/token: 201 with the TokenRequest carrying status.token. */
  tokenRequest(info: RequestInfo, raw: string): { status: number; body: unknown } {
    const ns = info.namespace!;
    const name = info.name!;
    let body: unknown;
    try {
      body = JSON.parse(raw || '{}');
    } catch (err) {
      throw badRequest(`the object provided is unrecognized (${(err as Error).message.split('\n')[0]})`);
    }
    if (!isObj(body)) throw badRequest('the object provided is unrecognized (expected a JSON object)');
    if (body.kind !== undefined && body.kind !== 'TokenRequest') throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (TokenRequest)`);
    const spec = isObj(body.spec) ? body.spec : {};
    const sa = this.#store.get(SERVICEACCOUNTS.storage, ns, name);
    if (!sa) throw notFound('serviceaccounts', '', name);
    const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_S;
    if (typeof exp !== 'number' || !Number.isInteger(exp)) {
      throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(exp)}: must be an integer` }]);
    }
    if (exp < MIN_EXPIRATION_S) {
      throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${exp}: may not specify a duration less than 10 minutes` }]);
    }
    if (exp > MAX_EXPIRATION_S) {
      throw invalid('TokenRequest', 'authentication.k8s.io', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${exp}: may not specify a duration larger than 2^32 seconds` }]);
    }
    const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? (spec.audiences as unknown[]).map(String) : [API_AUDIENCE];
    const bound = this.#boundObject(ns, spec.boundObjectRef);
    const now = Math.floor(this.#clock.nowMs() / 1000);
    const claims: Claims = {
      aud: audiences,
      exp: now + exp,
      iat: now,
      iss: API_AUDIENCE,
      jti: randomUUID(),
      'kubernetes.io': { namespace: ns, serviceaccount: { name, uid: sa.metadata.uid! } },
      nbf: now,
      sub: `system:serviceaccount:${ns}:${name}`,
    };
    if (bound) claims['kubernetes.io'][bound.key] = { name: bound.name, uid: bound.uid };
    const token = this.#sign(claims);
    const dry = info.query.getAll('dryRun').length > 0;
    return {
      status: 201,
      body: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace: ns, creationTimestamp: null },
        spec: { audiences, expirationSeconds: exp, boundObjectRef: isObj(spec.boundObjectRef) ? spec.boundObjectRef : null },
        status: { token: dry ? '' : token, expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      },
    };
  }

  /** POST tokenreviews: always 201; a bad token is status.authenticated false with an error. */
  tokenReview(raw: string, authenticateOther: (token: string) => UserInfo | undefined): { status: number; body: unknown } {
    let body: unknown;
    try {
      body = JSON.parse(raw || '{}');
    } catch (err) {
      throw badRequest(`the object provided is unrecognized (${(err as Error).message.split('\n')[0]})`);
    }
    if (!isObj(body)) throw badRequest('the object provided is unrecognized (expected a JSON object)');
    const spec = isObj(body.spec) ? body.spec : {};
    const token = typeof spec.token === 'string' ? spec.token : '';
    if (!token) {
      throw invalid('TokenReview', 'authentication.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }]);
    }
    const wanted = Array.isArray(spec.audiences) && spec.audiences.length ? (spec.audiences as unknown[]).map(String) : undefined;
    const reply = (status: Obj): { status: number; body: unknown } => ({
      status: 201,
      body: { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status },
    });
    const other = authenticateOther(token);
    if (other) {
      // static tokens carry no audience: they are good for the API server's own
      if (wanted && !wanted.includes(API_AUDIENCE)) return reply({ user: {}, error: '[invalid bearer token, token audiences is invalid for the target audiences]' });
      return reply({ authenticated: true, user: userJson(other), audiences: wanted ?? [API_AUDIENCE] });
    }
    const checked = this.check(token, wanted ?? [API_AUDIENCE]);
    if ('error' in checked) return reply({ user: {}, error: `[invalid bearer token, ${checked.error}]` });
    return reply({ authenticated: true, user: userJson(checked.user), audiences: checked.audiences });
  }

  /** The service account a bearer token on a request stands for, if it is one of ours and still good for the API server. */
  authenticate(token: string): UserInfo | undefined {
    if (token.split('.').length !== 3) return undefined;
    const checked = this.check(token, [API_AUDIENCE]);
    return 'error' in checked ? undefined : checked.user;
  }

  /** Verifies signature, time, audience and that the service account (and bound object) still exist. */
  check(token: string, audiences: string[]): { user: UserInfo; audiences: string[] } | { error: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { error: 'token lookup failed' };
    let header: Obj;
    let claims: Claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as Obj;
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Claims;
    } catch {
      return { error: 'token lookup failed' };
    }
    if (header.alg !== 'ES256' || !isObj(claims) || claims.iss !== API_AUDIENCE) return { error: 'token lookup failed' };
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.#public, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
    if (!ok) return { error: 'square/go-jose: error in cryptographic primitive' };
    const now = Math.floor(this.#clock.nowMs() / 1000);
    if (typeof claims.exp !== 'number' || now > claims.exp) return { error: 'service account token has expired' };
    if (typeof claims.nbf === 'number' && now < claims.nbf) return { error: 'service account token is not valid yet' };
    const aud = Array.isArray(claims.aud) ? claims.aud : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (!matched.length) return { error: 'token audiences is invalid for the target audiences' };
    const k = claims['kubernetes.io'];
    if (!isObj(k) || !isObj(k.serviceaccount)) return { error: 'token lookup failed' };
    const sa = this.#store.get(SERVICEACCOUNTS.storage, k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata.deletionTimestamp) return { error: `service account ${k.namespace}/${k.serviceaccount.name} has been deleted` };
    if (sa.metadata.uid !== k.serviceaccount.uid) {
      return { error: `service account UID (${k.serviceaccount.uid}) does not match claim (${sa.metadata.uid})` };
    }
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
    for (const [key, storage] of [['pod', 'pods'], ['secret', SECRETS.storage], ['node', 'nodes']] as const) {
      const b = k[key];
      if (!b) continue;
      const o = this.#store.get(storage, key === 'node' ? undefined : k.namespace, b.name);
      if (!o || o.metadata.uid !== b.uid || (key !== 'node' && o.metadata.deletionTimestamp)) {
        return { error: `${key === 'pod' ? 'Pod' : key === 'secret' ? 'Secret' : 'Node'} "${b.name}" is invalid or has been deleted` };
      }
      if (key === 'pod' || key === 'node') {
        extra[`authentication.kubernetes.io/${key}-name`] = [b.name];
        extra[`authentication.kubernetes.io/${key}-uid`] = [b.uid];
      }
    }
    const user: UserInfo = {
      username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`],
      extra,
    };
    return { user, audiences: matched };
  }

  #sign(claims: Claims): string {
    const head = b64(JSON.stringify({ alg: 'ES256', kid: this.#kid }));
    const payload = b64(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${payload}`), { key: this.#private, dsaEncoding: 'ieee-p1363' });
    return `${head}.${payload}.${b64(sig)}`;
  }

  #boundObject(ns: string, ref: unknown): { key: 'pod' | 'secret' | 'node'; name: string; uid: string } | undefined {
    if (ref === undefined || ref === null) return undefined;
    if (!isObj(ref)) throw badRequest('spec.boundObjectRef: must be an object');
    const kinds: Record<string, { key: 'pod' | 'secret' | 'node'; storage: string; resource: string; namespaced: boolean }> = {
      Pod: { key: 'pod', storage: 'pods', resource: 'pods', namespaced: true },
      Secret: { key: 'secret', storage: SECRETS.storage, resource: 'secrets', namespaced: true },
      Node: { key: 'node', storage: 'nodes', resource: 'nodes', namespaced: false },
    };
    const kind = kinds[String(ref.kind)];
    if (!kind) {
      throw invalid('TokenRequest', 'authentication.k8s.io', '', [
        { reason: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', message: `Unsupported value: ${JSON.stringify(ref.kind ?? '')}: supported values: "Node", "Pod", "Secret"` },
      ]);
    }
    if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') {
      throw invalid('TokenRequest', 'authentication.k8s.io', '', [{ reason: 'FieldValueNotSupported', field: 'spec.boundObjectRef.apiVersion', message: `Unsupported value: ${JSON.stringify(ref.apiVersion)}: supported values: "v1"` }]);
    }
    const name = String(ref.name ?? '');
    const o: KObject | undefined = this.#store.get(kind.storage, kind.namespaced ? ns : undefined, name);
    if (!o) throw notFound(kind.resource, '', name);
    if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== o.metadata.uid) {
      throw conflict(kind.resource, '', name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    return { key: kind.key, name, uid: o.metadata.uid! };
  }
}

function userJson(u: UserInfo): Obj {
  const out: Obj = { username: u.username };
  if (u.uid) out.uid = u.uid;
  const groups = [...u.groups];
  if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  out.groups = groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

