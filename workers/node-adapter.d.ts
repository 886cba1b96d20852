// comlink ships the Node adapter's types next to it but its package has no "exports" entry
// for them; this maps the .mjs path to those declarations.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import nodeEndpoint from 'comlink/dist/esm/node-adapter';
  export default nodeEndpoint;
}
