// The stylesheet lives in the repository's style/ folder; this module pulls it into the bundle.
import '../../style/index.css';
