// simple-peer logs through `debug`; the browser build needs none of it (saves ~6 KB).
module.exports = () => {
  const log = () => {};
  log.enabled = false;
  return log;
};
