// Kubernetes 1.28 typed constructs (KubeDeployment, KubeService, ...): the output of
// `cdk8s import k8s@1.28.0` that the cdk8s-plus-28 npm package ships
// (lib/imports/k8s). Re-exported here so that `cdk8s import k8s`, which downloads its
// schema from the internet, is never needed. Written by scripts/import.sh; do not edit.
export * from 'cdk8s-plus-28/lib/imports/k8s';
