/** Version of the endpoint daemon, sent to the hub in `hello`. */
export const ENDPOINT_VERSION = '0.1.0';
