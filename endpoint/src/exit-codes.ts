/**
 * The daemon exits with this when starting again cannot help (the hub refused its token, the endpoint was
 * deleted, config.yaml is wrong, no sandbox for a public endpoint): its supervisor then stops too.
 */
export const EXIT_NO_RESTART = 78;
