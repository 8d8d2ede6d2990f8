import * as k8s from '../../imports/k8s';
import { APP_UID } from './paths';

/*
 * The security contexts of Pod Security's "restricted" profile, for every container this
 * project runs: Discourse (the rock's user), and the data services' and exporters' own users.
 */

/** The restricted-profile container security context, as `uid` (the rock's user unless said otherwise). */
export function containerSecurityContext(readOnlyRootFilesystem = true, uid = APP_UID): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The restricted-profile pod security context: everything runs as the rock's `_daemon_`. */
export function podSecurityContext(): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: APP_UID,
    runAsGroup: APP_UID,
    fsGroup: APP_UID,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
