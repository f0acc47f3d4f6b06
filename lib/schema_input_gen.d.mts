// Types of lib/schema_input_gen.mjs (a plain script: make runs it before the build).
export declare const INPUTS: {
    image_file: "image-file";
    suite_file: "suite-file";
    workload_file: "workload-file";
};
export type InputName = keyof typeof INPUTS;
export declare function schema_input_output(name: InputName): {
    module: string;
    declarations: string;
};
export declare function schema_input_source(name: InputName): string;
export declare function schema_input_declarations(name: InputName): string;
