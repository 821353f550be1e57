// What a configured cluster's name may be wherever it travels as a word:
// chat's `--cluster`, a channel's default cluster, the `@<cluster>` of an
// alert button's value. Letters, digits, '-', '_' and '.', at most 63,
// starting and ending with a letter or digit: looser than a DNS label
// (kubeconfig context names have capitals and underscores), strict enough
// that nothing but a name reaches a reply, a log or a button.

export const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
