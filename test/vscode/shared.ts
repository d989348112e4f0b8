// Constants shared by the drivers (Node, outside VS Code) and the in-host suite (bundled into the extension host).

/** Prefix of the in-host mocha report lines, so the driver can tell them from the rest of the workbench console. */
export const REPORT_MARK = '[mlcycle-in-host] ';
