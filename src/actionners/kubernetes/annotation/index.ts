/** kubernetes:annotation — annotates (or un-annotates) the event's pod or its node (talon.md §4.2). */
import { metadataActionner } from "../../../kube/metadata-actionner.js";

const annotation = metadataActionner("annotations");
export default annotation;
