/** kubernetes:label — labels (or unlabels) the event's pod or its node (talon.md §4.2). */
import { metadataActionner } from "../../../kube/metadata-actionner.js";

const label = metadataActionner("labels");
export default label;
