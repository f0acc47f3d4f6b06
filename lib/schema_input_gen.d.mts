// Types of lib/schema_input_gen.mjs (a plain script: make runs it before the build).
export declare const INPUTS: {
    image_file: "image-file";
    suite_file: "suite-file";
    workload_file: "workload-file";
};
export declare const OUTPUT: string;
export declare const DECLARATIONS: string;
export declare function schema_input_source(): string;
export declare function schema_input_declarations(): string;
