// world-atlas ships its TopoJSON without types; webpack bundles the JSON file itself.
declare module 'world-atlas/countries-110m.json' {
  const topology: unknown;
  export default topology;
}
